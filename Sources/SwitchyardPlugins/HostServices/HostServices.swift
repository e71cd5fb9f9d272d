import CLinux
import CSwitchyardPlugin
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The `sy_host_api` table every plugin receives: one static table for the process, valid
/// forever. Every function is [thread-safe], as the header promises; each takes the calling
/// instance's `sy_hinst` (or a `sy_call`) so logs and metrics name the config entry.
/// Plugin input is untrusted: NULL pointers and bad values get SY_E_INVALID, never a crash.
public enum HostServices {
    /// Plugin log lines below this level (SY_LOG_*) are dropped; `log_enabled` answers from it.
    public static var minimumLogLevel: UInt32 {
        get { HostLog.minimumLevel.load(ordering: .relaxed) }
        set { HostLog.minimumLevel.store(newValue, ordering: .relaxed) }
    }

    /// Where plugin log lines go (stderr by default).
    public static var logDescriptor: Int32 {
        get { HostLog.descriptor.load(ordering: .relaxed) }
        set { HostLog.descriptor.store(newValue, ordering: .relaxed) }
    }

    nonisolated(unsafe) public static let table: UnsafePointer<sy_host_api> = {
        let table = UnsafeMutablePointer<sy_host_api>.allocate(capacity: 1)
        table.initialize(to: sy_host_api(
            struct_size: UInt32(MemoryLayout<sy_host_api>.size),
            abi_minor: SY_ABI_MINOR,
            log_enabled: { _, level in HostLog.isEnabled(level) ? 1 : 0 },
            log: { hinst, call, level, message in
                HostLog.emit(HostInstance.from(hinst), PluginCall.from(call), level, message)
            },
            now_unix_ns: { unixNanoseconds() },
            monotonic_ns: { monotonicNanoseconds() },
            alloc: { hinst, size in HostServices.allocate(hinst, size) },
            free: { hinst, pointer in HostServices.release(hinst, pointer) },
            metric_define: { hinst, kind, name, labels, out in HostServices.defineMetric(hinst, kind, name, labels, out) },
            metric_record: { hinst, id, value, labels, count in HostServices.recordMetric(hinst, id, value, labels, count) },
            secret_get: { _, name, buffer, capacity, outLength in HostServices.secret(name, buffer, capacity, outLength) },
            http_send: { hinst, call, request, handler, out in PluginHTTPHandler.send(hinst, call, request, handler, out) },
            http_cancel: { hinst, request in PluginHTTPHandler.cancel(hinst, request) },
            resume: { hinst, verdict, status in PluginHandles.resumeVerdict(hinst, verdict, status) },
            // A call that has ended counts as gone; NULL (no call) as not cancelled.
            call_cancelled: { call in
                guard call != nil else { return 0 }
                return PluginCall.from(call)?.isCancelled ?? true ? 1 : 0
            },
            call_metadata: { call in
                // Built on first ask; valid until the hook that asked returns (the ABI's promise).
                guard let metadata = PluginCall.from(call)?.metadata, let base = metadata.baseAddress else { return sy_bytes(ptr: nil, len: 0) }
                return sy_bytes(ptr: base.assumingMemoryBound(to: UInt8.self), len: metadata.count)
            },
            get_extension: { _, _ in nil },  // no host extensions (ABI 1.1)
            // Output handles: tokens resolved through PluginHandles, never pointers.
            sink_write: { hinst, sink, kind, data in PluginHandles.sinkWrite(hinst, sink, kind, data) },
            http_out_set_method: { hinst, out, value in
                PluginHandles.withBuilder(hinst, "http_out_set_method", out) { $0.setMethod(value) }
            },
            http_out_set_url: { hinst, out, value in
                PluginHandles.withBuilder(hinst, "http_out_set_url", out) { $0.setURL(value) }
            },
            http_out_add_header: { hinst, out, name, value in
                PluginHandles.withBuilder(hinst, "http_out_add_header", out) { $0.addHeader(name, value) }
            },
            http_out_append_body: { hinst, out, value in
                PluginHandles.withBuilder(hinst, "http_out_append_body", out) { $0.appendBody(value) }
            },
            verdict_patch: { hinst, verdict, format, document in
                PluginHandles.withVerdict(hinst, "verdict_patch", verdict) {
                    document.ptr == nil && document.len != 0 ? SY_E_INVALID : $0.pluginPatched(format: format, document: document.raw)
                }
            },
            verdict_reject: { hinst, verdict, status, body in
                PluginHandles.withVerdict(hinst, "verdict_reject", verdict) {
                    body.ptr == nil && body.len != 0 ? SY_E_INVALID : $0.pluginRejected(httpStatus: status, body: body.raw)
                }
            },
            verdict_hold: { hinst, verdict, bytes in
                PluginHandles.withVerdict(hinst, "verdict_hold", verdict) { $0.pluginHeld(bytes: bytes < 0 || bytes > Int(SY_MAX_HOLD_BYTES) ? Int(SY_MAX_HOLD_BYTES) : bytes) }
            },
            call_route: { call, model in
                // Untrusted: a NULL pointer with a length is no model at all.
                guard model.ptr != nil || model.len == 0, let route = PluginCall.from(call)?.route(model: model.raw),
                      let base = route.baseAddress
                else { return sy_bytes(ptr: nil, len: 0) }
                return sy_bytes(ptr: base.assumingMemoryBound(to: UInt8.self), len: route.count)
            },
            // ABI 1.1. Set by the gateway where it starts a hook (PluginCall.loopHookStarts,
            // setWorkerHookDeadline); 0 for NULL, an ended call, or a hook it does not time.
            call_deadline_ns: { call in PluginCall.from(call)?.hookDeadline ?? 0 }
        ))
        return UnsafePointer(table)
    }()

    // Accounting uses the usable size, so it matches what free() gives back exactly.
    static func allocate(_ hinst: sy_hinst?, _ size: Int) -> UnsafeMutableRawPointer? {
        guard let pointer = malloc(max(size, 1)) else { return nil }
        if let host = HostInstance.from(hinst) {
            host.allocatedBytes.wrappingAdd(malloc_usable_size(pointer), ordering: .relaxed)
            host.allocations.wrappingAdd(1, ordering: .relaxed)
        }
        return pointer
    }

    static func release(_ hinst: sy_hinst?, _ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { return }
        if let host = HostInstance.from(hinst) {
            host.allocatedBytes.wrappingSubtract(malloc_usable_size(pointer), ordering: .relaxed)
            host.allocations.wrappingSubtract(1, ordering: .relaxed)
        }
        free(pointer)
    }

    static func defineMetric(_ hinst: sy_hinst?, _ kind: UInt32, _ name: sy_bytes, _ labels: sy_bytes,
                             _ out: UnsafeMutablePointer<UInt32>?) -> sy_status {
        guard let host = HostInstance.from(hinst), let out else { return SY_E_INVALID }
        // [control]: metrics are frozen once the instance exists, so /metrics never changes shape.
        guard host.configuring.load(ordering: .acquiring) else { return SY_E_UNSUPPORTED }
        let labelNames = labels.raw.isEmpty ? [] : labels.string.split(separator: ",", omittingEmptySubsequences: false).map {
            String($0.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
        guard let id = host.metrics.define(kind: kind, name: name.string, labelNames: labelNames) else { return SY_E_INVALID }
        out.pointee = id
        return SY_OK
    }

    static func recordMetric(_ hinst: sy_hinst?, _ id: UInt32, _ value: Double, _ labels: UnsafePointer<sy_bytes>?, _ count: Int) -> sy_status {
        guard let host = HostInstance.from(hinst), count == 0 || labels != nil else { return SY_E_INVALID }
        let values = (0..<count).map { labels![$0].string }
        return host.metrics.record(id: id, value: value, labels: values) ? SY_OK : SY_E_INVALID
    }

    /// Two-call pattern: SY_E_TOO_SMALL with the size needed in *outLength. The value is not
    /// NUL-terminated. SY_E_INVALID for an unset variable or a name that cannot be one.
    static func secret(_ name: sy_bytes, _ buffer: UnsafeMutablePointer<UInt8>?, _ capacity: Int,
                       _ outLength: UnsafeMutablePointer<Int>?) -> sy_status {
        let nameBytes = name.raw
        guard !nameBytes.isEmpty, !nameBytes.contains(0), !nameBytes.contains(UInt8(ascii: "=")),
              let value = getenv(name.string)
        else { return SY_E_INVALID }
        let length = strlen(value)
        outLength?.pointee = length
        guard length <= capacity, length == 0 || buffer != nil else { return SY_E_TOO_SMALL }
        if length > 0, let buffer { memcpy(buffer, value, length) }
        return SY_OK
    }
}
