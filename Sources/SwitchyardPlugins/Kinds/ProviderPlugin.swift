import CSwitchyardPlugin

/// The host's handle on one provider instance (`switchyard.provider/1`).
///
/// Threading: the plugin's tables are immutable and its instance must be reentrant (the host
/// does not honour SY_F_SERIALIZE_INSTANCE yet), so any thread may call it. The
/// calls for one request run on that request's loop, or, for the hooks the manifest declares
/// blocking (`PluginLibrary.blockingHooks`), on a worker thread, one at a time per request.
public final class ProviderPlugin: @unchecked Sendable {
    /// Plugin entry name from the config.
    public let name: String
    let instance: sy_instance?
    let table: UnsafePointer<sy_provider_v1>
    let transformer: UnsafePointer<sy_transformer_v1>?
    let generateHook: (@convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status)?
    let passthroughHook: (@convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, sy_bytes, sy_bytes, sy_http_out, UnsafeMutablePointer<sy_error>?) -> sy_status)?
    /// The inline batch table (`sy_provider_v1.batch`), complete; nil when the plugin has none.
    let batchTable: UnsafePointer<sy_provider_batch_v1>?

    /// Wraps a provider table returned by `get_interface`; nil when it is unusable (too small,
    /// neither a way to answer locally nor a complete prepare + response pair, or an inline batch
    /// table that lacks a hook: a half table would fail batches only once a client ran one).
    public init?(name: String, instance: sy_instance?, table raw: UnsafeRawPointer) {
        let table = raw.assumingMemoryBound(to: sy_provider_v1.self)
        let size = Int(table.pointee.struct_size)
        guard size >= MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.generate)! else { return nil }
        self.name = name
        self.instance = instance
        self.table = table
        // Hooks appended later read as NULL when the plugin's table ends before them.
        let generateEnd = MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.generate)! + MemoryLayout<UnsafeRawPointer>.size
        generateHook = size >= generateEnd ? table.pointee.generate : nil
        let passthroughEnd = MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.passthrough)! + MemoryLayout<UnsafeRawPointer>.size
        passthroughHook = size >= passthroughEnd ? table.pointee.passthrough : nil
        let batchEnd = MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.batch)! + MemoryLayout<UnsafeRawPointer>.size
        let batch = size >= batchEnd ? table.pointee.batch : nil
        if let batch {
            guard Self.isComplete(batch) else { return nil }
            batchTable = batch
        } else {
            batchTable = nil
        }
        if let response = table.pointee.response, response.pointee.struct_size >= UInt32(MemoryLayout<sy_transformer_v1>.size),
           response.pointee.begin != nil, response.pointee.data != nil, response.pointee.end != nil, response.pointee.state_free != nil {
            transformer = response
        } else {
            transformer = nil
        }
        guard generateHook != nil || (table.pointee.prepare != nil && transformer != nil) else { return nil }
    }

    /// True when the provider answers in-process (no upstream request).
    public var answersLocally: Bool { generateHook != nil }

    /// Runs `generate`: the whole answer is written to `output` before it returns. Every write
    /// is checked first (`PluginOutputCheck`); a refused one never reaches `output`, and fails
    /// the call whatever the plugin returns.
    ///
    /// Threading: any thread. `output` is called on the calling thread, during this call only
    /// (the sink handle is lent from the calling thread's handle table).
    public func generate(_ call: CallDescription, body: UnsafeRawBufferPointer, output: some PluginSinkTarget) -> PluginFailure? {
        guard let generateHook else { return PluginFailure(status: SY_E_UNSUPPORTED, message: "provider \(name) does not answer locally") }
        var error = freshError()
        var check = PluginOutputCheck(stream: call.stream)
        let handle = call.handle  // read out here: capturing `call` in the hook's closure copies it
        let status = call.withInfo { info in
            withPluginSink({ kind, bytes in checkedWrite(&check, kind, bytes, output, requestID: call.requestID) }) { sink in
                generateHook(instance, handle, info, body.syBytes, sink, &error)
            }
        }
        if let refused = refusedOutput(check) { return refused }
        return status == SY_OK ? nil : PluginFailure(status: status, error: &error)
    }

    /// Runs `prepare`: the upstream request the plugin built, or why it could not.
    public func prepare(_ call: CallDescription, body: UnsafeRawBufferPointer) -> Result<UpstreamRequestBuilder, PluginFailure> {
        guard let prepare = table.pointee.prepare else {
            return .failure(PluginFailure(status: SY_E_UNSUPPORTED, message: "provider \(name) has no prepare hook"))
        }
        let draft = UpstreamRequestBuilder()
        var error = freshError()
        let handle = call.handle  // read out here: capturing `call` in the closure copies it (~1,000 instructions)
        let status = call.withInfo { info in draft.withHTTPOut { out in prepare(instance, handle, info, body.syBytes, out, &error) } }
        if let problem = draft.problem {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) built an invalid upstream request: \(problem)"))
        }
        guard status == SY_OK else { return .failure(PluginFailure(status: status, error: &error)) }
        guard draft.url.hasPrefix("http://") || draft.url.hasPrefix("https://") else {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) built no absolute http(s) URL (got \"\(draft.url)\")"))
        }
        return .success(draft)
    }

    /// True when the provider takes passthrough requests (`/p/{provider}/...`): its table has the
    /// `passthrough` hook. When false the client gets 403.
    public var takesPassthrough: Bool { passthroughHook != nil }

    /// Runs `passthrough` for a client's `method` on `/p/{provider}{path}` (`path` with its query,
    /// starting with '/'): the builder holds the upstream URL and the headers the provider set
    /// (its credentials), `method` as given, and no body (the caller streams the client's). Nil
    /// when the provider takes no passthrough. `call.operation` is SY_OP_PASSTHROUGH and
    /// `call.request` empty (the header's contract). Threading: any thread, like `prepare`.
    public func passthrough(_ call: CallDescription, method: String, path: String) -> Result<UpstreamRequestBuilder, PluginFailure>? {
        guard let passthroughHook else { return nil }
        assert(call.request.isEmpty, "a passthrough call carries no canonical request")
        guard !method.isEmpty, method.utf8.allSatisfy(UpstreamRequestBuilder.isTokenByte) else {
            return .failure(PluginFailure(status: SY_E_INVALID, httpStatus: 400, message: "method \"\(method)\" is not an HTTP token"))
        }
        guard path.utf8.first == UInt8(ascii: "/") else {
            return .failure(PluginFailure(status: SY_E_INVALID, httpStatus: 400, message: "passthrough path \"\(path)\" does not start with /"))
        }
        let draft = UpstreamRequestBuilder(passthroughMethod: method)
        var error = freshError()
        var (method, path) = (method, path)
        let handle = call.handle  // read out here: capturing `call` in the closure copies it
        let status = method.withUTF8 { method in
            path.withUTF8 { path in
                call.withInfo { info in
                    draft.withHTTPOut { out in
                        passthroughHook(instance, handle, info, UnsafeRawBufferPointer(method).syBytes, UnsafeRawBufferPointer(path).syBytes, out, &error)
                    }
                }
            }
        }
        if let problem = draft.problem {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) built an invalid passthrough request: \(problem)"))
        }
        guard status == SY_OK else { return .failure(PluginFailure(status: status, error: &error)) }
        guard !draft.url.isEmpty else {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) set no upstream URL in passthrough"))
        }
        return .success(draft)
    }

    /// Starts a response transformer for an upstream answer whose head just arrived.
    /// Threading: any thread; so are the returned transformation's calls, one at a time.
    public func beginResponse(_ call: CallDescription, status httpStatus: Int, headers: [(name: String, value: String)]) -> Result<ResponseTransformation, PluginFailure> {
        guard let transformer else { return .failure(PluginFailure(status: SY_E_UNSUPPORTED, message: "provider \(name) has no response transformer")) }
        var error = freshError()
        var state: sy_state?
        let handle = call.handle  // read out here: capturing `call` in the closure copies it
        let status = call.withInfo { info in
            lendHeaders(headers) { raw, count in
                transformer.pointee.begin(instance, handle, info, UInt32(clamping: httpStatus), raw, count, &state, &error)
            }
        }
        guard status == SY_OK else {
            // A plugin that failed in begin may still have produced a state: free it exactly once.
            if let state { transformer.pointee.state_free(state) }
            return .failure(PluginFailure(status: status, error: &error))
        }
        return .success(ResponseTransformation(provider: self, table: transformer, state: state, call: call))
    }

    /// One write of a call: checked, then passed on; the first refusal is logged, naming the
    /// plugin (later ones of the same call are refused silently).
    @inline(__always)
    func checkedWrite(_ check: inout PluginOutputCheck, _ kind: UInt32, _ bytes: UnsafeRawBufferPointer,
                      _ output: some PluginSinkTarget, requestID: String) -> sy_status {
        let verdict = check.admit(kind: kind, bytes)
        guard verdict == SY_OK else {
            if let problem = check.problem, !check.reported {
                check.reported = true
                HostLog.emit(pluginName: name, requestID: requestID, level: SY_LOG_WARN,
                             "output refused (SY_E_INVALID), the call fails: \(problem)")
            }
            return verdict
        }
        return output.pluginWrote(kind: kind, bytes: bytes)
    }

    /// The call's failure when the check refused a write: a 502 for the client (the plugin's
    /// status does not matter then), retryable since nothing of it reached the client.
    func refusedOutput(_ check: PluginOutputCheck) -> PluginFailure? {
        guard let problem = check.problem else { return nil }
        return PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true,
                             message: "plugin \(name) wrote output the gateway refused: \(problem)", refusedByHost: true)
    }
}

/// One running response transformer; `state_free` runs exactly once, when this is released.
/// Its writes are checked across the whole response (`PluginOutputCheck`: one whole answer over
/// all `data`/`end` calls). Calls never overlap; each may run on any thread, and `output` is
/// called on that thread during that call only.
/// One thread at a time: the request's event loop, or a worker running a transformer declared
/// blocking (the last reference, and so `state_free`, may go on either).
public final class ResponseTransformation {
    let provider: ProviderPlugin
    let table: UnsafePointer<sy_transformer_v1>
    let state: sy_state?
    let requestID: String
    private var check: PluginOutputCheck

    init(provider: ProviderPlugin, table: UnsafePointer<sy_transformer_v1>, state: sy_state?, call: CallDescription) {
        self.provider = provider
        self.table = table
        self.state = state
        self.requestID = call.requestID
        self.check = PluginOutputCheck(stream: call.stream)
    }

    deinit { table.pointee.state_free(state) }

    public func data(_ chunk: UnsafeRawBufferPointer, output: some PluginSinkTarget) -> PluginFailure? {
        var error = freshError()
        let status = withPluginSink({ kind, bytes in provider.checkedWrite(&check, kind, bytes, output, requestID: requestID) }) { sink in
            table.pointee.data(state, chunk.syBytes, sink, &error)
        }
        if let refused = provider.refusedOutput(check) { return refused }
        return status == SY_OK ? nil : PluginFailure(status: status, error: &error)
    }

    public func end(output: some PluginSinkTarget) -> PluginFailure? {
        var error = freshError()
        let status = withPluginSink({ kind, bytes in provider.checkedWrite(&check, kind, bytes, output, requestID: requestID) }) { sink in
            table.pointee.end(state, sink, &error)
        }
        if let refused = provider.refusedOutput(check) { return refused }
        return status == SY_OK ? nil : PluginFailure(status: status, error: &error)
    }
}

/// What the host tells a provider about the call (`sy_call_info`), borrowed for each hook.
public struct CallDescription {
    public var operation: UInt32
    public var stream: Bool
    public var attempt: Int
    public var requestID: String
    public var upstreamModel: String
    /// The canonical request of this attempt, lent to every hook as `sy_call_info.request`.
    public var request: [UInt8]
    /// The request's `sy_call` (its `PluginCall.handle`), passed to every hook; nil outside a request.
    public var handle: sy_call?
    /// The object behind `handle`, for the hooks that record their deadline in it
    /// (`call_deadline_ns`). Not retained: the request's executor owns the call and outlives
    /// every hook it runs with this description.
    public unowned(unsafe) var pluginCall: PluginCall?

    public init(operation: UInt32, stream: Bool, attempt: Int, requestID: String, upstreamModel: String, request: [UInt8] = [],
                handle: sy_call? = nil, pluginCall: PluginCall? = nil) {
        self.handle = handle
        self.pluginCall = pluginCall
        self.operation = operation
        self.stream = stream
        self.attempt = attempt
        self.requestID = requestID
        self.upstreamModel = upstreamModel
        self.request = request
    }

    func withInfo<R>(_ body: (UnsafePointer<sy_call_info>) -> R) -> R {
        var requestID = requestID
        var model = upstreamModel
        return requestID.withUTF8 { id in
            model.withUTF8 { model in
                request.withUnsafeBytes { request in
                    var info = sy_call_info(
                        struct_size: UInt32(MemoryLayout<sy_call_info>.size), operation: operation,
                        stream: stream ? 1 : 0, attempt: UInt32(clamping: attempt),
                        request_id: sy_bytes(ptr: id.baseAddress, len: id.count),
                        upstream_model: sy_bytes(ptr: model.baseAddress, len: model.count),
                        request: request.syBytes)
                    return body(&info)
                }
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    var syBytes: sy_bytes { sy_bytes(ptr: baseAddress?.assumingMemoryBound(to: UInt8.self), len: count) }
}
