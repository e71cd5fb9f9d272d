import CSwitchyardPlugin
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Plugin log lines: logfmt, one `write(2)` per line so lines from different threads never
/// interleave, attributed to the config entry (and the request when the plugin passes its call).
/// Thread-safe: the level and the destination are atomics.
enum HostLog {
    static let minimumLevel = Atomic<UInt32>(SY_LOG_INFO)
    static let descriptor = Atomic<Int32>(2)
    /// Longer messages are cut here: a plugin must not be able to write megabytes per line.
    static let maximumMessageBytes = 4096

    static func isEnabled(_ level: UInt32) -> Bool {
        level >= minimumLevel.load(ordering: .relaxed)
    }

    static func emit(_ host: HostInstance?, _ call: PluginCall?, _ level: UInt32, _ message: sy_bytes) {
        guard isEnabled(level) else { return }
        let names = ["trace", "debug", "info", "warn", "error"]
        var line = "level=\(names[Int(min(level, SY_LOG_ERROR))]) msg="
        let bytes = UnsafeRawBufferPointer(start: message.ptr, count: message.ptr == nil ? 0 : message.len)
        let truncated = bytes.count > maximumMessageBytes
        appendQuoted(String(decoding: bytes.prefix(maximumMessageBytes), as: UTF8.self) + (truncated ? "…" : ""), to: &line)
        line += " plugin="
        appendQuoted(host?.name ?? "?", to: &line)
        if let call {
            line += " request_id="
            appendQuoted(call.requestID, to: &line)
        }
        line += "\n"
        let fd = descriptor.load(ordering: .relaxed)
        line.withUTF8 { utf8 in _ = write(fd, utf8.baseAddress, utf8.count) }
    }

    /// Always quoted; control characters escaped so one plugin message stays one log line.
    static func appendQuoted(_ value: String, to line: inout String) {
        line += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            case "\r": line += "\\r"
            case "\t": line += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                line += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\""
    }
}
