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
        var name: String { ["debug", "info", "warn", "error"][rawValue] }
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
        var line = "level=\(level.name) msg=\(Self.quoted(message))"
        if let requestID { line += " request_id=\(Self.quoted(requestID))" }
        for (key, value) in fields { line += " \(key)=\(Self.quoted(value))" }
        line += "\n"
        Self.writeLine(line)
    }

    static func writeLine(_ line: String) {
        var line = line
        line.withUTF8 { utf8 in _ = write(2, utf8.baseAddress, utf8.count) }
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.utf8.contains(where: { $0 <= 0x20 || $0 == 0x22 || $0 == 0x3D || $0 == 0x5C })
        guard needsQuotes else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
