import CSwitchyardPlugin
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The `sy_host_api` a plugin gets in the runner. Output functions record into the hook's
/// `RunnerRecording`; `log` and `metric_record` go to the gateway as frames (any thread);
/// `metric_define` (instance_new only) gets a runner id the gateway maps to its own;
/// `secret_get` reads the runner's environment (the gateway's, inherited); `alloc`, `free`,
/// the clocks are local. Unavailable under isolation (docs/plugin-isolation.md): `http_send`
/// (SY_E_UNSUPPORTED), `call_route` (empty), extensions (NULL).
enum RunnerHost {
    /// The runner's one channel to the gateway; set once before the plugin is negotiated.
    nonisolated(unsafe) static var channel: FrameChannel!
    /// True while instance_new runs (the only time metric_define is allowed).
    nonisolated(unsafe) static var configuring = false
    nonisolated(unsafe) static var nextMetricID: UInt32 = 1

    nonisolated(unsafe) static let table: UnsafePointer<sy_host_api> = {
        let table = UnsafeMutablePointer<sy_host_api>.allocate(capacity: 1)
        table.initialize(to: sy_host_api(
            struct_size: UInt32(MemoryLayout<sy_host_api>.size),
            abi_minor: SY_ABI_MINOR,
            log_enabled: { _, _ in 1 },  // the gateway filters by level
            log: { _, call, level, message in
                guard message.ptr != nil || message.len == 0 else { return }
                let current = RunnerRecording.current
                let requestID = call != nil && current?.call == UInt64(UInt(bitPattern: call)) ? current!.requestID : []
                let text = Array(UnsafeRawBufferPointer(start: message.ptr, count: min(message.len, 4096)))
                RunnerHost.channel.send(.log, call: 0, WireLog(level: level, requestID: requestID, message: text).encoded())
            },
            now_unix_ns: { unixNanoseconds() },
            monotonic_ns: { monotonicNanoseconds() },
            alloc: { _, size in malloc(max(size, 1)) },
            free: { _, pointer in free(pointer) },
            metric_define: { _, kind, name, labels, out in
                guard RunnerHost.configuring, let out, name.ptr != nil || name.len == 0, labels.ptr != nil || labels.len == 0 else {
                    return RunnerHost.configuring ? SY_E_INVALID : SY_E_UNSUPPORTED
                }
                guard let recording = RunnerRecording.current else { return SY_E_UNSUPPORTED }
                let id = RunnerHost.nextMetricID
                RunnerHost.nextMetricID += 1
                recording.record(.metricDefine(kind: kind, name: name.bytes, labels: labels.bytes, id: id))
                out.pointee = id
                return SY_OK
            },
            metric_record: { _, id, value, labels, count in
                guard count == 0 || labels != nil else { return SY_E_INVALID }
                let values = (0..<count).map { labels![$0].bytes }
                RunnerHost.channel.send(.metric, call: 0, WireMetric(id: id, value: value, labels: values).encoded())
                return SY_OK
            },
            secret_get: { _, name, buffer, capacity, outLength in
                guard name.len > 0, name.ptr != nil else { return SY_E_INVALID }
                let bytes = name.bytes
                guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "=")),
                      let value = getenv(String(decoding: bytes, as: UTF8.self)) else { return SY_E_INVALID }
                let length = strlen(value)
                outLength?.pointee = length
                guard length <= capacity, length == 0 || buffer != nil else { return SY_E_TOO_SMALL }
                if length > 0, let buffer { memcpy(buffer, value, length) }
                return SY_OK
            },
            http_send: { _, _, _, _, _ in SY_E_UNSUPPORTED },
            http_cancel: { _, _ in },
            resume: { _, verdict, status in RunnerHost.resume(verdict, status) },
            call_cancelled: { call in
                guard call != nil else { return 0 }
                guard let current = RunnerRecording.current, current.call == UInt64(UInt(bitPattern: call)) else { return 0 }
                return current.cancelled ? 1 : 0
            },
            call_metadata: { call in
                guard call != nil, let current = RunnerRecording.current, current.call == UInt64(UInt(bitPattern: call)),
                      !current.metadata.isEmpty
                else { return sy_bytes(ptr: nil, len: 0) }
                // The recording (and so the bytes) lives until the hook returns: the ABI's promise.
                return current.metadata.withUnsafeBufferPointer { sy_bytes(ptr: $0.baseAddress, len: $0.count) }
            },
            get_extension: { _, _ in nil },
            sink_write: { _, sink, kind, data in
                guard let current = RunnerRecording.current, sink != 0, current.sink == sink else { return SY_E_HANDLE }
                guard data.ptr != nil || data.len == 0 else { return SY_E_INVALID }
                current.record(.sinkWrite(kind: kind, bytes: data.bytes))
                return current.cancelled ? SY_E_CANCELLED : SY_OK
            },
            http_out_set_method: { _, out, value in RunnerHost.builder(out, value) { .setMethod($0) } },
            http_out_set_url: { _, out, value in RunnerHost.builder(out, value) { .setURL($0) } },
            http_out_add_header: { _, out, name, value in
                guard name.ptr != nil || name.len == 0 else { return SY_E_INVALID }
                return RunnerHost.builder(out, value) { .addHeader(name: name.bytes, value: $0) }
            },
            http_out_append_body: { _, out, value in RunnerHost.builder(out, value) { .appendBody($0) } },
            verdict_patch: { _, verdict, format, document in
                RunnerHost.verdictOp(verdict, document) { .verdictPatch(format: format, document: $0) }
            },
            verdict_reject: { _, verdict, status, body in
                RunnerHost.verdictOp(verdict, body) { .verdictReject(httpStatus: status, body: $0) }
            },
            verdict_hold: { _, verdict, bytes in
                RunnerHost.verdictOp(verdict, sy_bytes(ptr: nil, len: 0)) { _ in .verdictHold(UInt64(max(bytes, 0))) }
            },
            call_route: { _, _ in sy_bytes(ptr: nil, len: 0) },
            // The deadline shipped with the call (prepare, generate, begin, inspect); a
            // transformer's data and end are sent without one: 0.
            call_deadline_ns: { call in
                guard call != nil, let current = RunnerRecording.current, current.call == UInt64(UInt(bitPattern: call)) else { return 0 }
                return current.deadline
            }
        ))
        return UnsafePointer(table)
    }()

    // The gateway checks every value again when it replays the op; here only the handle and
    // the pointer are checked (what the runner itself must not get wrong).
    static func builder(_ out: sy_http_out, _ value: sy_bytes, _ op: ([UInt8]) -> HostOp) -> sy_status {
        guard let current = RunnerRecording.current, out != 0, current.httpOut == out else { return SY_E_HANDLE }
        guard value.ptr != nil || value.len == 0 else { return SY_E_INVALID }
        current.record(op(value.bytes))
        return SY_OK
    }

    static func verdictOp(_ verdict: sy_verdict, _ value: sy_bytes, _ op: ([UInt8]) -> HostOp) -> sy_status {
        guard value.ptr != nil || value.len == 0 else { return SY_E_INVALID }
        guard let recording = RunnerRecording.verdicts.withLock({ $0[verdict] }) else { return SY_E_HANDLE }
        recording.record(op(value.bytes))
        return SY_OK
    }

    /// Ends a verdict: its ops and `status` go to the gateway, once.
    static func resume(_ verdict: sy_verdict, _ status: sy_status) -> sy_status {
        guard let recording = RunnerRecording.verdicts.withLock({ $0.removeValue(forKey: verdict) }) else { return SY_E_HANDLE }
        channel.send(.verdict, call: recording.replyTo, WireReply(status: status, ops: recording.ops).encoded())
        return SY_OK
    }
}

extension sy_bytes {
    /// A copy of the bytes (empty for NULL).
    var bytes: [UInt8] {
        guard let ptr, len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: len))
    }
}
