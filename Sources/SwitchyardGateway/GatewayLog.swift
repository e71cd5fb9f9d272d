import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// Structured log lines (logfmt) on stderr, one write(2) per line so lines from different loops
/// never interleave. Thread-safe.
public struct GatewayLog: Sendable {
    public enum Level: Int, Sendable, Comparable {
        case debug = 0, info, warn, error
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
        var name: StaticString {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warn: "warn"
            case .error: "error"
            }
        }
    }

    public let minimum: Level

    public init(minimum: Level = .info) {
        self.minimum = minimum
    }

    public func info(_ message: String, requestID: String? = nil, fields: [(String, String)] = []) {
        emit(.info, message, requestID: requestID, fields: fields)
    }

    public func warn(_ message: String, requestID: String? = nil, fields: [(String, String)] = []) {
        emit(.warn, message, requestID: requestID, fields: fields)
    }

    public func error(_ message: String, requestID: String? = nil, fields: [(String, String)] = []) {
        emit(.error, message, requestID: requestID, fields: fields)
    }

    public func emit(_ level: Level, _ message: String, requestID: String?, fields: [(String, String)]) {
        guard level >= minimum else { return }
        var line = LogLine(level: level, message: message)
        if let requestID { line.field("request_id", requestID) }
        for (key, value) in fields { line.field(key, value) }
        line.write()
    }
}

/// One logfmt line built directly as bytes: `level=info msg=request key=value key="a b"`.
struct LogLine {
    private var bytes: [UInt8] = []

    init(level: GatewayLog.Level, message: String) {
        bytes.reserveCapacity(320)
        append("level=")
        append(level.name)
        append(" msg=")
        value(message)
    }

    mutating func field(_ key: StaticString, _ text: String) {
        bytes.append(0x20)
        append(key)
        bytes.append(UInt8(ascii: "="))
        value(text)
    }

    mutating func field(_ key: String, _ text: String) {
        bytes.append(0x20)
        bytes.appendUTF8(key)
        bytes.append(UInt8(ascii: "="))
        value(text)
    }

    /// A value the caller has already validated as a token that needs no quoting (hex ids:
    /// the trace id), appended without the per-byte escaping check.
    mutating func field(_ key: StaticString, token: String) {
        bytes.append(0x20)
        append(key)
        bytes.append(UInt8(ascii: "="))
        bytes.appendUTF8(token)
    }

    /// A fixed word as the value (no String made; the word needs no quoting).
    mutating func field(_ key: StaticString, word: StaticString) {
        bytes.append(0x20)
        append(key)
        bytes.append(UInt8(ascii: "="))
        append(word)
    }

    /// A value the caller writes as plain bytes (`write` appends), quoted: for values built from
    /// parts that need no escaping (names of config entries, fixed words), with no String made.
    mutating func quotedField(_ key: StaticString, _ write: (inout [UInt8]) -> Void) {
        bytes.append(0x20)
        append(key)
        bytes.append(UInt8(ascii: "="))
        bytes.append(0x22)
        write(&bytes)
        bytes.append(0x22)
    }

    mutating func field(_ key: StaticString, _ number: Int) {
        bytes.append(0x20)
        append(key)
        bytes.append(UInt8(ascii: "="))
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var rest = number.magnitude
        withUnsafeMutableBytes(of: &digits) { raw in
            repeat {
                raw[count] = UInt8(rest % 10) + 0x30
                rest /= 10
                count += 1
            } while rest > 0
            for index in stride(from: count - 1, through: 0, by: -1) { bytes.append(raw[index]) }
        }
    }

    /// A value, quoted and escaped only when it needs to be.
    private mutating func value(_ text: String) {
        var text = text
        text.withUTF8 { value($0) }
    }

    private mutating func value(_ utf8: UnsafeBufferPointer<UInt8>) {
        let plain = !utf8.isEmpty && !utf8.contains(where: { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C || $0 == 0x7F })
        if plain { bytes.append(contentsOf: utf8); return }
        bytes.append(0x22)
        for byte in utf8 {
            switch byte {
            case 0x22: bytes.append(0x5C); bytes.append(0x22)
            case 0x5C: bytes.append(0x5C); bytes.append(0x5C)
            case 0x0A: bytes.append(0x5C); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(0x5C); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(0x5C); bytes.append(UInt8(ascii: "t"))
            case 0..<0x20, 0x7F: bytes.append(UInt8(ascii: "?"))
            default: bytes.append(byte)
            }
        }
        bytes.append(0x22)
    }

    private mutating func append(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    func write() {
        withTerminatedBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// The line with its newline, borrowed for `body`.
    func withTerminatedBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var line = bytes
        line.append(0x0A)
        return line.withUnsafeBytes(body)
    }
}
