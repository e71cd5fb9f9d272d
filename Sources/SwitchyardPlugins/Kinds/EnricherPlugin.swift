import CSwitchyardPlugin
import SwitchyardPosix

/// The host's handle on one enricher instance (`switchyard.enricher/1`): a read-only observer
/// of passthrough and native exchanges that reports, once per call, what the call amounted to
/// (operation, model, usage, audit path).
///
/// `begin` starts one call's observation (`EnricherObservation`), which carries the plugin's
/// per-call state through `response`, `data` and `end` and frees it exactly once.
///
/// Threading: immutable (the plugin's table is static), so any thread may hold it; the header
/// says every enricher hook runs on the call's event loop, and the caller keeps to that (a
/// manifest's `blocking_hooks` is refused for enrichers when they are loaded).
public final class EnricherPlugin: @unchecked Sendable {  // immutable; the plugin's tables are static
    /// The `enrichers:` entry's name (logs and failures name it).
    public let name: String
    /// SY_PHASE_REQUEST | SY_PHASE_RESPONSE bits: the bodies it reads. `data` is called only for
    /// these (heads always reach it).
    public let phases: UInt32
    let instance: sy_instance?
    /// The host's handle of the instance (its log lines and sinks are attributed to it).
    let hostInstance: sy_hinst?
    let beginHook: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UnsafePointer<sy_exchange_head>?,
                                   UnsafeMutablePointer<sy_state?>?, UnsafeMutablePointer<sy_error>?) -> sy_status
    let responseHook: (@convention(c) (sy_state?, UnsafePointer<sy_exchange_head>?, UnsafeMutablePointer<sy_error>?) -> sy_status)?
    let dataHook: @convention(c) (sy_state?, UInt32, sy_bytes, UnsafeMutablePointer<sy_error>?) -> sy_status
    let endHook: @convention(c) (sy_state?, sy_status, sy_sink, UnsafeMutablePointer<sy_error>?) -> sy_status
    let stateFreeHook: @convention(c) (sy_state?) -> Void

    /// Wraps an enricher table returned by `get_interface`; nil when it is unusable (smaller than
    /// `sy_enricher_v1`, or without begin, data, end or state_free; `response` is optional).
    public init?(name: String, instance: sy_instance?, hostInstance: sy_hinst? = nil, table raw: UnsafeRawPointer) {
        let table = raw.assumingMemoryBound(to: sy_enricher_v1.self)
        guard Int(table.pointee.struct_size) >= MemoryLayout<sy_enricher_v1>.size,
              let begin = table.pointee.begin, let data = table.pointee.data,
              let end = table.pointee.end, let stateFree = table.pointee.state_free
        else { return nil }
        self.name = name
        self.instance = instance
        self.hostInstance = hostInstance
        phases = table.pointee.phases & (SY_PHASE_REQUEST | SY_PHASE_RESPONSE)
        beginHook = begin
        responseHook = table.pointee.response
        dataHook = data
        endHook = end
        stateFreeHook = stateFree
    }

    public enum Begin {
        /// begin returned SY_OK: the observation holds the plugin's state for the call.
        case observing(EnricherObservation)
        /// begin returned SY_E_UNSUPPORTED ("not mine"): not a failure, nothing to free.
        case declined
        /// begin failed, or ran past `deadline`; the enricher takes no further part in the call.
        case failed(PluginFailure)
    }

    /// Runs `begin` with the request head. `deadline` (nanoseconds, 0 = none) bounds each hook of
    /// the call, this one included: a hook that returns later than that counts as a failure
    /// (SY_E_TIMEOUT). Hooks run on the loop and cannot be interrupted, so the bound is checked
    /// when the hook returns; it costs two clock reads per hook, none when 0.
    ///
    /// Threading: on the call's event loop, like every later hook of the returned observation.
    public func begin(_ call: CallDescription, request: ExchangeHead, deadline: UInt64 = 0) -> Begin {
        var error = freshError()
        var state: sy_state?
        let handle = call.handle  // read out here: capturing `call` in the closure copies it
        let started = deadline == 0 ? 0 : monotonicNanoseconds()
        call.pluginCall?.loopHookStarts(deadline: deadline == 0 ? 0 : started &+ deadline)  // call_deadline_ns
        let status = call.withInfo { info in
            request.withHead { head in beginHook(instance, handle, info, head, &state, &error) }
        }
        // The header frees state only after a begin that returned SY_OK: a declining or failing
        // plugin cleans up after itself.
        if status == SY_E_UNSUPPORTED { return .declined }
        guard status == SY_OK else { return .failed(PluginFailure(status: status, error: &error)) }
        let observation = EnricherObservation(plugin: self, state: state, deadline: deadline, call: call.pluginCall)
        if let late = observation.overran(since: started, hook: "begin") {
            observation.close()
            return .failed(late)
        }
        return .observing(observation)
    }
}
