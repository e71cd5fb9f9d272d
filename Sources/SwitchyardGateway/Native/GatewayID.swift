import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Ids the gateway gives the files and batches it manages ("file-sy…", "batch_sy…"): 96 random
/// bits, so an id names one record and guessing another's is hopeless. A different prefix from
/// any provider's keeps a gateway id from ever being mistaken for an upstream one.
enum GatewayID {
    static func file() -> String { "file-sy" + randomHex() }
    static func batch() -> String { "batch_sy" + randomHex() }

    /// 24 hex digits of `getrandom` (96 bits).
    static func randomHex() -> String {
        var bytes = [UInt8](repeating: 0, count: 12)
        var filled = 0
        while filled < bytes.count {
            let got = bytes.withUnsafeMutableBytes { getrandom($0.baseAddress! + filled, $0.count - filled, 0) }
            if got > 0 { filled += got }
        }
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(24)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
