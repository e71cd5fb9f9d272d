import CLinux
import CSwitchyardPlugin
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The `sy_host_api` table every plugin receives: one static table for the process, valid
/// forever. Every function is [thread-safe] as the header promises, and takes the calling
/// instance's `sy_hinst` so that logs and metrics name the config entry.
public enum HostServices {
    /// Plugin log lines below this level are dropped (SY_LOG_*).
    nonisolated(unsafe) public static var minimumLogLevel: UInt32 = SY_LOG_INFO

    nonisolated(unsafe) public static let table: UnsafePointer<sy_host_api> = {
        let table = UnsafeMutablePointer<sy_host_api>.allocate(capacity: 1)
        table.initialize(to: sy_host_api(
            struct_size: UInt32(MemoryLayout<sy_host_api>.size),
            abi_minor: SY_ABI_MINOR,
            log_enabled: { _, level in level >= HostServices.minimumLogLevel ? 1 : 0 },
            log: { hinst, _, level, message in HostServices.log(hinst, level, message) },
            now_unix_ns: { unixNanoseconds() },
            monotonic_ns: { monotonicNanoseconds() },
            alloc: { hinst, size in
                guard let pointer = malloc(max(size, 1)) else { return nil }
                if let host = HostInstance.from(hinst) {
                    host.allocatedBytes.wrappingAdd(malloc_usable_size(pointer), ordering: .relaxed)
                    host.allocations.wrappingAdd(1, ordering: .relaxed)
                }
                return pointer
            },
            free: { hinst, pointer in
                guard let pointer else { return }
                if let host = HostInstance.from(hinst) {
                    host.allocatedBytes.wrappingSubtract(malloc_usable_size(pointer), ordering: .relaxed)
                    host.allocations.wrappingSubtract(1, ordering: .relaxed)
                }
                Glibc.free(pointer)
            },
            metric_define: { hinst, kind, name, labels, out in
                guard let host = HostInstance.from(hinst), let out else { return SY_E_INVALID }
                let labelNames = labels.len == 0 ? [] : labels.text.split(separator: ",").map { String($0).trimmingCharacters(" ") }
                guard let id = host.metrics.define(kind: kind, name: name.text, labelNames: labelNames) else { return SY_E_INVALID }
                out.pointee = id
                return SY_OK
            },
            metric_record: { hinst, id, value, labels, count in
                guard let host = HostInstance.from(hinst) else { return SY_E_INVALID }
                let values = (0..<count).map { labels![$0].text }
                return host.metrics.record(id: id, value: value, labels: values) ? SY_OK : SY_E_INVALID
            },
            secret_get: { _, name, buffer, capacity, outLength in
                guard let value = getenv(name.text) else { return SY_E_INVALID }
                let length = strlen(value)
                outLength?.pointee = length
                guard length <= capacity else { return SY_E_TOO_SMALL }
                if length > 0, let buffer { memcpy(buffer, value, length) }
                return SY_OK
            },
            // Out-of-band HTTP for plugins is not wired to the upstream client yet: it answers
            // "unsupported" cleanly, and no plugin of ours needs it (see docs/plugin-host.md).
            http_send: { _, _, _, _, _ in SY_E_UNSUPPORTED },
            http_cancel: { _, _ in },
            resume: { _, _ in },
            call_cancelled: { _ in 0 },
            call_metadata: { _ in sy_bytes(ptr: nil, len: 0) },
            get_extension: { _, _ in nil }
        ))
        return UnsafePointer(table)
    }()

    static func log(_ hinst: sy_hinst?, _ level: UInt32, _ message: sy_bytes) {
        guard level >= minimumLogLevel else { return }
        let names = ["trace", "debug", "info", "warn", "error"]
        let name = HostInstance.from(hinst)?.name ?? "?"
        var line = "level=\(names[Int(min(level, 4))]) plugin=\(name) msg=\""
        for scalar in message.text.unicodeScalars {
            switch scalar {
            case "\"": line += "\\\""
            case "\\": line += "\\\\"
            case "\n": line += "\\n"
            default: line.unicodeScalars.append(scalar)
            }
        }
        line += "\"\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

extension StringProtocol {
    func trimmingCharacters(_ characters: Character) -> String {
        var view = Substring(self)
        while view.first == characters { view = view.dropFirst() }
        while view.last == characters { view = view.dropLast() }
        return String(view)
    }
}
