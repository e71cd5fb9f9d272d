import CSwitchyardPlugin
import Synchronization
import SwitchyardPosix
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
        let bytes = message.raw
        let truncated = bytes.count > maximumMessageBytes
        let text = String(decoding: bytes.prefix(maximumMessageBytes), as: UTF8.self) + (truncated ? "…" : "")
        write(level: level, text, pluginName: host?.name ?? "?", requestID: call?.requestID)
    }

    /// A line the host writes about a plugin (a refused handle, refused output), attributed to
    /// the plugin's config entry like the plugin's own lines.
    static func emit(pluginName: String, requestID: String?, level: UInt32, _ message: String) {
        guard isEnabled(level) else { return }
        write(level: level, message, pluginName: pluginName, requestID: requestID)
    }

    private static func write(level: UInt32, _ message: String, pluginName: String, requestID: String?) {
        let names = ["trace", "debug", "info", "warn", "error"]
        var line = "level=\(names[Int(min(level, SY_LOG_ERROR))]) msg="
        appendQuoted(message, to: &line)
        line += " plugin="
        appendQuoted(pluginName, to: &line)
        if let requestID {
            line += " request_id="
            appendQuoted(requestID, to: &line)
        }
        line += "\n"
        let fd = descriptor.load(ordering: .relaxed)
        line.withUTF8 { utf8 in _ = Glibc.write(fd, utf8.baseAddress, utf8.count) }
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

/// Lets one report through per interval and counts the ones held back, so a plugin that repeats
/// a mistake in a loop cannot flood the log. Thread-safe.
final class RateLimitedNotice: Sendable {
    private let lastReportAt = Atomic<UInt64>(0)
    private let held = Atomic<Int>(0)
    private let interval: UInt64

    init(intervalNanoseconds: UInt64 = 1_000_000_000) { interval = intervalNanoseconds }

    /// nil: hold this report back. Otherwise report it, with the number held back since the last.
    func admit(now: UInt64 = monotonicNanoseconds()) -> Int? {
        let last = lastReportAt.load(ordering: .relaxed)
        guard last == 0 || now &- last >= interval,
              lastReportAt.compareExchange(expected: last, desired: max(now, 1), ordering: .relaxed).exchanged
        else {
            held.wrappingAdd(1, ordering: .relaxed)
            return nil
        }
        return held.exchange(0, ordering: .relaxed)
    }
}
