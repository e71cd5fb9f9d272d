import CSwitchyardPlugin
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The proxy's hooks: each ships its call to the runner, waits for the answer (the provider
/// hooks run on the host's worker threads: the proxy's manifest declares them blocking), and
/// replays on the hook's own thread what the plugin did there (sink writes in order, builder
/// calls), through the real host table, which checks everything as it does for any plugin.
extension IsolatedRunner {
    /// The instance for the entry: instance_new in the runner with `config`; the metrics it
    /// defined there are defined in `host`'s registry under the same names (the runner's ids
    /// map to the host's). [control] thread; the runner is ready for calls afterwards.
    func instantiate(host: HostInstance, config: [UInt8]) -> Result<WireInterfaces, PluginFailure> {
        let reply: WireReply
        switch send(.instanceNew, hook: "instance_new", payload: config, whileStarting: true) {
        case .failure(let failure): return .failure(failure)
        case .success(let call):
            switch call.wait(late: notAnswered(call)) {
            case .failure(let failure): return .failure(failure)
            case .success(let answer): reply = answer
            }
        }
        guard reply.status == SY_OK else {
            return .failure(PluginFailure(status: reply.status, httpStatus: Int(reply.httpStatus), retryable: reply.retryable,
                                          message: reply.message.isEmpty ? "no message" : reply.message))
        }
        lock.withLock {
            self.host = host
            self.config = config
            mapMetrics(reply.ops, firstLoad: true)
            phase = .ready
        }
        return .success(Self.interfaces(in: reply.ops))
    }

    static func interfaces(in ops: [HostOp]) -> WireInterfaces {
        for case .interfaces(let interfaces) in ops { return interfaces }
        return WireInterfaces()
    }
}

extension IsolatedRunner {
    /// The instance's host handle (set once the instance exists; read under `lock` by any thread).
    var hostHandle: sy_hinst? { lock.withLock { host?.handle } }

    /// The call as the runner gets it: info, metadata (asked of the host on this hook's thread,
    /// where call_metadata is valid), whether the client has gone and the hook's deadline.
    func wireCall(_ call: sy_call?, _ info: UnsafePointer<sy_call_info>?) -> WireCall {
        let table = HostServices.table.pointee
        let metadata = call == nil ? [] : table.call_metadata(call).bytes
        let info = info?.pointee
        return WireCall(
            handle: UInt64(UInt(bitPattern: call)), operation: info?.operation ?? 0, stream: info?.stream ?? 0, attempt: info?.attempt ?? 0,
            requestID: info?.request_id.bytes ?? [], upstreamModel: info?.upstream_model.bytes ?? [], request: info?.request.bytes ?? [],
            metadata: metadata, cancelled: call != nil && table.call_cancelled(call) != 0,
            deadline: call == nil ? 0 : table.call_deadline_ns?(call) ?? 0)
    }

    /// The plugin's status and error, as the runner reported them.
    static func answer(_ reply: WireReply, _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        if reply.status != SY_OK { fill(error, httpStatus: reply.httpStatus, retryable: reply.retryable, reply.message) }
        return reply.status
    }

    static func answer(_ failure: PluginFailure, _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        fill(error, httpStatus: UInt32(failure.httpStatus), retryable: failure.retryable, failure.message)
        return failure.status
    }

    static func fill(_ error: UnsafeMutablePointer<sy_error>?, httpStatus: UInt32, retryable: Bool, _ message: String) {
        guard let error else { return }
        error.pointee.http_status = httpStatus
        error.pointee.retryable = retryable ? 1 : 0
        withUnsafeMutableBytes(of: &error.pointee.message) { raw in
            let bytes = Array(message.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
    }

    /// Replays sink writes on this (the hook's) thread; the first write the host refuses ends
    /// the replay and is the hook's status (the host has failed the call already, or the client left).
    func replayWrites(_ ops: [HostOp], _ sink: sy_sink) -> sy_status {
        let table = HostServices.table.pointee
        let hinst = hostHandle
        for case .sinkWrite(let kind, let bytes) in ops {
            let status = bytes.withUnsafeBytes { table.sink_write(hinst, sink, kind, $0.syBytes) }
            if status != SY_OK { return status }
        }
        return SY_OK
    }

    func prepare(_ call: sy_call?, _ info: UnsafePointer<sy_call_info>?, _ body: sy_bytes, _ out: sy_http_out,
                 _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        var writer = WireWriter(capacity: body.len + 512)
        wireCall(call, info).write(to: &writer)
        writer.data(body.raw)
        switch callAndWait(.prepare, hook: "prepare", payload: writer.bytes, call: call) {
        case .failure(let failure): return Self.answer(failure, error)
        case .success(let reply):
            let table = HostServices.table.pointee
            let hinst = hostHandle
            for op in reply.ops {
                switch op {
                case .setMethod(let value): _ = value.withUnsafeBytes { table.http_out_set_method(hinst, out, $0.syBytes) }
                case .setURL(let value): _ = value.withUnsafeBytes { table.http_out_set_url(hinst, out, $0.syBytes) }
                case .addHeader(let name, let value):
                    _ = name.withUnsafeBytes { name in value.withUnsafeBytes { table.http_out_add_header(hinst, out, name.syBytes, $0.syBytes) } }
                case .appendBody(let value): _ = value.withUnsafeBytes { table.http_out_append_body(hinst, out, $0.syBytes) }
                default: break
                }
            }
            return Self.answer(reply, error)
        }
    }

    func generate(_ call: sy_call?, _ info: UnsafePointer<sy_call_info>?, _ body: sy_bytes, _ sink: sy_sink,
                  _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        var writer = WireWriter(capacity: body.len + 512)
        wireCall(call, info).write(to: &writer)
        writer.data(body.raw)
        switch callAndWait(.generate, hook: "generate", payload: writer.bytes, call: call) {
        case .failure(let failure): return Self.answer(failure, error)
        case .success(let reply):
            let written = replayWrites(reply.ops, sink)
            if written != SY_OK && reply.status == SY_OK { return written }
            return Self.answer(reply, error)
        }
    }

    func begin(_ call: sy_call?, _ info: UnsafePointer<sy_call_info>?, _ httpStatus: UInt32, _ headers: UnsafePointer<sy_header>?, _ count: Int,
               _ state: UnsafeMutablePointer<sy_state?>?, _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        var writer = WireWriter(capacity: 1024)
        wireCall(call, info).write(to: &writer)
        writer.u32(httpStatus)
        let count = headers == nil ? 0 : count
        writer.u32(UInt32(count))
        for index in 0..<count {
            writer.data(headers![index].name.raw)
            writer.data(headers![index].value.raw)
        }
        let generation = currentGeneration
        switch callAndWait(.begin, hook: "response begin", payload: writer.bytes, generation: generation) {
        case .failure(let failure): return Self.answer(failure, error)
        case .success(let reply):
            guard reply.status == SY_OK else { return Self.answer(reply, error) }
            switch transformerState(in: reply) {
            case .failure(let failure): return Self.answer(failure, error)
            case .success(let id):
                // Only now is a state handed to the host: it calls state_free exactly once for it.
                state?.pointee = UnsafeMutableRawPointer(Unmanaged.passRetained(ProxyState(runner: self, generation: generation, remote: id)).toOpaque())
                return SY_OK
            }
        }
    }

    /// The runner's id for the state a successful `begin` created: exactly one `.state` op, or
    /// the runner is broken (it runs untrusted code: none would leave the host a NULL state,
    /// several would leak all but one).
    func transformerState(in reply: WireReply) -> Result<UInt64, PluginFailure> {
        var ids: [UInt64] = []
        for case .state(let id) in reply.ops { ids.append(id) }
        guard ids.count == 1 else {
            return .failure(PluginFailure(status: SY_E_INTERNAL, httpStatus: 502,
                                          message: "plugin \"\(entry)\" (isolated): its runner answered response begin with \(ids.count) states (exactly 1 expected)"))
        }
        return .success(ids[0])
    }

    func transform(_ state: ProxyState, _ chunk: sy_bytes?, _ sink: sy_sink, _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        var writer = WireWriter(capacity: (chunk?.len ?? 0) + 16)
        writer.u64(state.remote)
        writer.u8(0)
        if let chunk { writer.data(chunk.raw) }
        let hook = chunk == nil ? "response end" : "response data"
        switch callAndWait(chunk == nil ? .end : .data, hook: hook, payload: writer.bytes, generation: state.generation) {
        case .failure(let failure): return Self.answer(failure, error)
        case .success(let reply):
            let written = replayWrites(reply.ops, sink)
            if written != SY_OK && reply.status == SY_OK { return written }
            return Self.answer(reply, error)
        }
    }

    func freeState(_ state: ProxyState) {
        var writer = WireWriter(capacity: 8)
        writer.u64(state.remote)
        notify(.stateFree, payload: writer.bytes, generation: state.generation)
    }

    /// Guardrail inspect: sent, never waited for. The verdict is applied and resumed on the
    /// supervisor thread when the runner answers (or fails with the runner). SY_PAUSE, or an
    /// error at once when no runner takes calls.
    func inspect(_ call: sy_call?, _ info: UnsafePointer<sy_call_info>?, _ phase: UInt32, _ json: sy_bytes, _ verdict: sy_verdict,
                 _ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        var writer = WireWriter(capacity: json.len + 512)
        let wire = wireCall(call, info)
        wire.write(to: &writer)
        writer.u32(phase)
        writer.data(json.raw)
        let hinstBits = UInt(bitPattern: hostHandle)  // a token, carried to the supervisor thread
        let entry = entry
        let requestID = String(decoding: wire.requestID, as: UTF8.self)
        let sent = send(.inspect, hook: "inspect", payload: writer.bytes, fromLoop: true) { result in
            let table = HostServices.table.pointee
            let hinst = sy_hinst(bitPattern: hinstBits)
            switch result {
            case .success(let reply):
                for op in reply.ops {
                    switch op {
                    case .verdictPatch(let format, let document): _ = document.withUnsafeBytes { table.verdict_patch(hinst, verdict, format, $0.syBytes) }
                    case .verdictReject(let status, let body): _ = body.withUnsafeBytes { table.verdict_reject(hinst, verdict, status, $0.syBytes) }
                    case .verdictHold(let bytes): _ = table.verdict_hold(hinst, verdict, Int(clamping: bytes))
                    default: break
                    }
                }
                if reply.status != SY_OK {
                    HostLog.emit(pluginName: entry, requestID: requestID, level: SY_LOG_WARN,
                                 "inspect failed with \(PluginStatus.name(reply.status)): \(reply.message)")
                }
                _ = table.resume(hinst, verdict, reply.status == SY_PAUSE ? SY_E_INTERNAL : reply.status)
            case .failure(let failure):
                HostLog.emit(pluginName: entry, requestID: requestID, level: SY_LOG_WARN, "inspect failed: \(failure.message)")
                _ = table.resume(hinst, verdict, failure.status)
            }
        }
        if case .failure(let failure) = sent { return Self.answer(failure, error) }
        return SY_PAUSE
    }

    func callEnd(_ call: sy_call?) {
        var writer = WireWriter(capacity: 8)
        writer.u64(UInt64(UInt(bitPattern: call)))
        notify(.callEnd, payload: writer.bytes)
    }
}

/// A transformer state of an isolated provider: the runner it lives in (by generation: a
/// restarted runner does not have it) and the runner's id for it. Owned by the host through the
/// `sy_state` pointer (retained once, released by state_free).
final class ProxyState {
    let runner: IsolatedRunner
    let generation: UInt64
    let remote: UInt64

    init(runner: IsolatedRunner, generation: UInt64, remote: UInt64) {
        self.runner = runner
        self.generation = generation
        self.remote = remote
    }
}
