import CLinux
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Request ids: the client's X-Request-ID when it is 1...128 visible ASCII characters (it ends
/// up in logs and headers, so nothing else is trusted), else a new one: a random per-process
/// prefix and a counter, unique without a syscall per request.
public enum RequestID {
    private static let prefix: String = {
        var bytes = [UInt8](repeating: 0, count: 6)
        _ = getrandom(&bytes, bytes.count, 0)
        return "req_" + bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }()
    private static let counter = Atomic<UInt64>(0)

    public static func accept(_ candidate: String?) -> String {
        if let candidate, isAcceptable(candidate) { return candidate }
        return generate()
    }

    public static func generate() -> String {
        let next = counter.wrappingAdd(1, ordering: .relaxed).newValue
        return prefix + String(next, radix: 16)
    }

    static func isAcceptable(_ value: String) -> Bool {
        let utf8 = value.utf8
        return !utf8.isEmpty && utf8.count <= 128 && utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }
}
