import CSwitchyardPlugin

/// A provider's inline batch table (`sy_provider_batch_v1`): what the host's native batches
/// orchestration asks a provider whose batch API takes the requests inline (Anthropic Message
/// Batches). The host holds the files and does the HTTP; these wrappers only run the hooks and
/// check what they produce before any of it is sent or filed:
///  - `batchRequest`: an absolute http(s) URL and no body (CREATE's body is the parts);
///  - `batchCreatePart`: SY_OUT_BYTES only;
///  - `batchStatus`, `batchResult`: exactly one SY_OUT_JSON object, nothing else.
/// Kinds past SY_OUT_BYTES (a newer plugin's) are ignored, as on every sink.
/// A refused write fails the hook with a message naming the plugin, logged once per hook call.
///
/// Threading: any thread, like every provider hook; never concurrently for the same call (the
/// caller's to guarantee). Sinks and builders are lent on the calling thread for the hook only.
extension ProviderPlugin {
    /// True when the provider runs native batches through its own inline batch API.
    public var takesInlineBatches: Bool { batchTable != nil }

    /// Runs `request` for `op` (SY_BATCH_CREATE, _GET, _CANCEL, _RESULTS) on the provider's batch
    /// `batchID` (empty for CREATE): the builder holds the method, URL and headers, and no body.
    /// Nil when the provider has no inline batch table.
    public func batchRequest(_ call: CallDescription, op: UInt32, batchID: String) -> Result<UpstreamRequestBuilder, PluginFailure>? {
        guard let batchTable else { return nil }
        let draft = UpstreamRequestBuilder()
        var error = freshError()
        var batchID = batchID
        let handle = call.handle  // read out here: capturing `call` in the closure copies it
        let status = batchID.withUTF8 { id in
            call.withInfo { info in
                draft.withHTTPOut { out in batchTable.pointee.request(instance, handle, info, op, UnsafeRawBufferPointer(id).syBytes, out, &error) }
            }
        }
        if let problem = draft.problem {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) built an invalid batch request: \(problem)"))
        }
        guard status == SY_OK else { return .failure(PluginFailure(status: status, error: &error)) }
        guard draft.url.hasPrefix("http://") || draft.url.hasPrefix("https://") else {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) built no absolute http(s) URL for batch operation \(op) (got \"\(draft.url)\")"))
        }
        guard draft.body.isEmpty else {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "provider \(name) put a body on batch operation \(op) (the host sends CREATE's parts, nothing else)"))
        }
        return .success(draft)
    }

    /// Runs `create_part` for `part` (SY_BATCH_PART_OPEN, _ITEM, _CLOSE): the bytes it wrote, in
    /// order. For an ITEM, `index` counts the batch's requests from 0 and `line` is one OpenAI
    /// batch input line without its newline; for OPEN and CLOSE pass an empty `line`.
    public func batchCreatePart(_ call: CallDescription, part: UInt32, index: Int, line: UnsafeRawBufferPointer) -> Result<[UInt8], PluginFailure> {
        guard let batchTable else { return .failure(noInlineBatches) }
        return collect(call, .bytes) { info, sink, error in
            batchTable.pointee.create_part(instance, call.handle, info, part, UInt64(max(0, index)), line.syBytes, sink, error)
        }
    }

    /// Runs `status` on the provider's batch object (the answer to CREATE, GET or CANCEL): the
    /// OpenAI batch object the plugin made of it.
    public func batchStatus(_ call: CallDescription, upstreamObject: UnsafeRawBufferPointer) -> Result<[UInt8], PluginFailure> {
        guard let batchTable else { return .failure(noInlineBatches) }
        return collect(call, .oneJSON) { info, sink, error in
            batchTable.pointee.status(instance, call.handle, info, upstreamObject.syBytes, sink, error)
        }
    }

    /// Runs `result` on one line of the provider's results (without its newline): the OpenAI
    /// batch output line the plugin made of it (without a newline).
    public func batchResult(_ call: CallDescription, line: UnsafeRawBufferPointer) -> Result<[UInt8], PluginFailure> {
        guard let batchTable else { return .failure(noInlineBatches) }
        return collect(call, .oneJSON) { info, sink, error in
            batchTable.pointee.result(instance, call.handle, info, line.syBytes, sink, error)
        }
    }

    /// A table the host can call: big enough for the 1.0 hooks and every one of them set.
    static func isComplete(_ table: UnsafePointer<sy_provider_batch_v1>) -> Bool {
        let batch = table.pointee
        return Int(batch.struct_size) >= MemoryLayout<sy_provider_batch_v1>.size
            && batch.request != nil && batch.create_part != nil && batch.status != nil && batch.result != nil
    }

    private var noInlineBatches: PluginFailure {
        PluginFailure(status: SY_E_UNSUPPORTED, message: "provider \(name) has no inline batch table")
    }

    /// Runs one output hook with a sink that collects what `expected` allows and refuses the rest.
    private func collect(
        _ call: CallDescription, _ expected: BatchOutput.Expected,
        _ hook: (UnsafePointer<sy_call_info>, sy_sink, UnsafeMutablePointer<sy_error>) -> sy_status
    ) -> Result<[UInt8], PluginFailure> {
        var output = BatchOutput(expected)
        var error = freshError()
        let status = call.withInfo { info in
            withPluginSink({ kind, bytes in output.admit(kind, bytes) }) { sink in hook(info, sink, &error) }
        }
        if let problem = output.problem {
            HostLog.emit(pluginName: name, requestID: call.requestID, level: SY_LOG_WARN, "batch output refused (SY_E_INVALID): \(problem)")
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "plugin \(name) wrote batch output the gateway refused: \(problem)"))
        }
        guard status == SY_OK else { return .failure(PluginFailure(status: status, error: &error)) }
        if expected == .oneJSON && !output.wroteJSON {
            return .failure(PluginFailure(status: SY_E_INTERNAL, message: "plugin \(name) wrote no SY_OUT_JSON object"))
        }
        return .success(output.bytes)
    }
}

/// What one batch hook wrote: its bytes, checked as they come (the first refusal sticks, and
/// every later write is refused too). Owned by one hook call, on its thread.
struct BatchOutput {
    enum Expected { case bytes, oneJSON }

    let expected: Expected
    private(set) var bytes: [UInt8] = []
    private(set) var problem: String?
    private var check = PluginOutputCheck(stream: false)

    init(_ expected: Expected) { self.expected = expected }

    var wroteJSON: Bool { expected == .oneJSON && !bytes.isEmpty }

    mutating func admit(_ kind: UInt32, _ data: UnsafeRawBufferPointer) -> sy_status {
        guard problem == nil else { return SY_E_INVALID }
        if kind > SY_OUT_BYTES { return SY_OK }  // unknown kinds are ignored
        switch (expected, kind) {
        case (.bytes, SY_OUT_BYTES):
            bytes.append(contentsOf: data)
            return SY_OK
        case (.bytes, _):
            problem = "a part of a batch's create body is SY_OUT_BYTES (got kind \(kind))"
        case (.oneJSON, SY_OUT_JSON):
            guard check.admit(kind: kind, data) == SY_OK else {
                problem = check.problem
                return SY_E_INVALID
            }
            bytes = Array(data)
            return SY_OK
        case (.oneJSON, _):
            problem = "a batch object or result line is one SY_OUT_JSON (got kind \(kind))"
        }
        return SY_E_INVALID
    }
}
