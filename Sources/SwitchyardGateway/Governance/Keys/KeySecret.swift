import CLinux
#if canImport(Glibc)
import Glibc
#endif
import SwitchyardPlugins

/// A new virtual key's secret and id (decision 0024): the secret is `sk-sy-` and 32 base62
/// characters (about 190 random bits) from `getrandom`; the id is `key_` and 16 lowercase hex
/// digits; the prefix, the first 10 characters of the secret, is what people and error messages
/// see. Only the secret's SHA-256 is ever stored (the gateway's own FIPS 180-4 implementation,
/// the one that pins plugin files). Safe on any thread.
struct KeySecret {
    static let scheme = "sk-sy-"
    static let randomLength = 32
    static let prefixLength = 10

    let secret: String

    var hash: String { Self.hash(of: secret) }
    var prefix: String { Self.prefix(of: secret) }

    /// What the store and the key directory know a secret by: its SHA-256, lowercase hex.
    static func hash(of token: String) -> String {
        var hasher = SHA256()
        hasher.update(Array(token.utf8))
        return hasher.hexDigest()
    }

    /// A fresh secret.
    static func generate() -> KeySecret {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var text = Array(scheme.utf8)
        while text.count < scheme.utf8.count + randomLength {
            for byte in randomBytes(randomLength) where text.count < scheme.utf8.count + randomLength {
                // 248 = 4 × 62: bytes above it are dropped so every character is equally likely.
                if byte < 248 { text.append(alphabet[Int(byte % 62)]) }
            }
        }
        return KeySecret(secret: String(decoding: text, as: UTF8.self))
    }

    /// `key_` and 16 hex digits (64 random bits).
    static func newID() -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Array("key_".utf8)
        for byte in randomBytes(8) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// What a message may show of a token a client sent: its first 10 characters, or nothing
    /// when it is so short that those would be most of it.
    static func prefix(of token: String) -> String {
        let bytes = Array(token.utf8)
        guard bytes.count >= prefixLength + 8 else { return "" }
        return String(decoding: bytes[0..<prefixLength], as: UTF8.self)
    }

    private static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = bytes.withUnsafeMutableBytes { getrandom($0.baseAddress! + filled, $0.count - filled, 0) }
            if got > 0 { filled += got }
        }
        return bytes
    }
}
