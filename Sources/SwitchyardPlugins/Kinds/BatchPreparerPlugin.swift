import CSwitchyardPlugin

/// The host's handle on one batch preparer instance (`switchyard.batch/1`): it sees every line
/// of a native batch's input file before the batch goes to its provider, and lets the line go
/// on, replaces it, or refuses it.
///
/// `begin` starts one batch (`BatchPreparerRun`), which carries the plugin's per-batch state
/// through `line` and `end` and frees it exactly once.
///
/// Threading: immutable (the plugin's table is static), so any thread may hold it; the header
/// says every batch hook runs on the batch request's event loop, and the caller keeps to that (a
/// manifest's `blocking_hooks` is refused for batch preparers when they are loaded).
public final class BatchPreparerPlugin: @unchecked Sendable {  // immutable; the plugin's tables are static
    /// The `batch_preparers:` entry's name (failures name it).
    public let name: String
    let instance: sy_instance?
    /// The host's handle of the instance (its log lines and sinks are attributed to it).
    let hostInstance: sy_hinst?
    let beginHook: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UnsafeMutablePointer<sy_state?>?,
                                   UnsafeMutablePointer<sy_error>?) -> sy_status
    let lineHook: @convention(c) (sy_state?, UInt64, sy_bytes, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status
    let endHook: @convention(c) (sy_state?, UnsafeMutablePointer<sy_error>?) -> sy_status
    let stateFreeHook: @convention(c) (sy_state?) -> Void

    /// Wraps a batch table returned by `get_interface`; nil when it is unusable (smaller than
    /// `sy_batch_v1`, or without one of its four hooks).
    public init?(name: String, instance: sy_instance?, hostInstance: sy_hinst? = nil, table raw: UnsafeRawPointer) {
        let table = raw.assumingMemoryBound(to: sy_batch_v1.self)
        guard Int(table.pointee.struct_size) >= MemoryLayout<sy_batch_v1>.size,
              let begin = table.pointee.begin, let line = table.pointee.line,
              let end = table.pointee.end, let stateFree = table.pointee.state_free
        else { return nil }
        self.name = name
        self.instance = instance
        self.hostInstance = hostInstance
        beginHook = begin
        lineHook = line
        endHook = end
        stateFreeHook = stateFree
    }

    /// Runs `begin` for one batch. `call` carries SY_OP_BATCHES, the client's batch request as
    /// `request` and the batch's `sy_call` (whose metadata names the provider).
    ///
    /// Threading: on the batch request's event loop, like every later hook of the returned run.
    public func begin(_ call: CallDescription) -> Result<BatchPreparerRun, PluginFailure> {
        var error = freshError()
        var state: sy_state?
        let handle = call.handle
        let status = call.withInfo { info in beginHook(instance, handle, info, &state, &error) }
        // state_free follows only a begin that returned SY_OK: a failing plugin cleans up itself.
        guard status == SY_OK else { return .failure(PluginFailure(status: status, error: &error)) }
        return .success(BatchPreparerRun(plugin: self, state: state))
    }
}

/// One batch's run through one preparer: the plugin's per-batch state, from a `begin` that
/// returned SY_OK until `state_free`, which runs exactly once, from `close()` or `deinit`,
/// whichever comes first (a batch cut short, whose `end` never runs, is freed all the same).
///
/// Threading: loop-confined. Every call, `deinit` included, happens on the event loop of the
/// batch's request; calls never overlap. Not Sendable.
public final class BatchPreparerRun {
    public let plugin: BatchPreparerPlugin
    private let state: sy_state?
    private var closed = false

    init(plugin: BatchPreparerPlugin, state: sy_state?) {
        self.plugin = plugin
        self.state = state
    }

    deinit { close() }

    /// What the preparer made of one line.
    public enum Line {
        /// It wrote nothing: the line goes on as it is.
        case keep
        /// It wrote one SY_OUT_JSON object: this line (a copy, on one line) replaces it.
        case replace([UInt8])
        /// It returned an error, or wrote something the host refused (a second write, another
        /// kind, bytes that are not one JSON object): the line, and the batch, are refused.
        case refuse(PluginFailure)
    }

    /// `line` for one input line (`bytes` without its newline, never empty; `number` from 1).
    /// The sink lent is [hook-thread] and takes exactly one SY_OUT_JSON; another known kind
    /// (SY_OUT_ERROR_JSON, _META_JSON, _BYTES) is refused with SY_E_INVALID and fails the line
    /// whatever the hook returns; kinds past SY_OUT_BYTES (a newer plugin's) are ignored, as on
    /// every sink. Nothing is allocated for a line the preparer keeps.
    public func line(number: Int, _ bytes: UnsafeRawBufferPointer) -> Line {
        guard !closed else { return .keep }
        var error = freshError()
        var replacement: [UInt8]?
        var refusal: String?
        var check = PluginOutputCheck(stream: false)
        let status = withPluginSink({ kind, written in
            guard refusal == nil else { return SY_E_INVALID }  // the first refusal failed the line
            if kind > SY_OUT_BYTES { return SY_OK }  // unknown kinds are ignored
            if kind != SY_OUT_JSON {
                refusal = "line wrote \(EnricherObservation.kindName(kind)); a batch preparer writes one SY_OUT_JSON (the line that replaces it)"
            } else if replacement != nil {
                refusal = "line wrote a second SY_OUT_JSON; one line in, at most one line out"
            } else if check.admit(kind: kind, written) != SY_OK {
                refusal = "its line was refused: \(check.problem ?? "invalid")"
            } else {
                replacement = Self.oneLine(written)
                return SY_OK
            }
            return SY_E_INVALID
        }) { sink in plugin.lineHook(state, UInt64(number), bytes.syBytes, sink, &error) }
        if let refusal { return .refuse(PluginFailure(status: SY_E_INVALID, message: refusal, refusedByHost: true)) }
        guard status == SY_OK else { return .refuse(PluginFailure(status: status, error: &error)) }
        return replacement.map(Line.replace) ?? .keep
    }

    /// `end`: every line was seen. nil when it returned SY_OK, else its failure (the batch is
    /// refused). Runs once; `close()` (or `deinit`) still frees the state.
    public func end() -> PluginFailure? {
        guard !closed else { return nil }
        var error = freshError()
        let status = plugin.endHook(state, &error)
        return status == SY_OK ? nil : PluginFailure(status: status, error: &error)
    }

    /// Frees the plugin's state (`state_free`), once; later calls do nothing.
    public func close() {
        guard !closed else { return }
        closed = true
        plugin.stateFreeHook(state)
    }

    /// A checked JSON object as one JSONL line: raw CR and LF can only be whitespace between
    /// tokens in valid JSON (inside strings they must be escaped), so spaces take their place.
    static func oneLine(_ json: UnsafeRawBufferPointer) -> [UInt8] {
        var line = Array(json)
        for index in line.indices where line[index] == 0x0A || line[index] == 0x0D { line[index] = 0x20 }
        return line
    }
}
