import CSwitchyardPlugin

/// The host's handle on one guardrail instance (`switchyard.guardrail/1`).
///
/// Threading: like providers, any thread may call it; the calls for one request run on that
/// request's loop. A paused inspection is finished by the plugin from any thread through
/// `host->resume`, which reaches the verdict's target (`PluginVerdictTarget.pluginResumed`).
public final class GuardrailPlugin: @unchecked Sendable {  // immutable; the plugin's tables are static
    /// Plugin entry name from the config.
    public let name: String
    /// SY_PHASE_* bits the plugin declares.
    public let phases: UInt32
    let instance: sy_instance?
    /// The host's handle of the instance: its verdicts are lent to it alone.
    let hostInstance: sy_hinst?
    let inspectHook: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UInt32, sy_bytes, sy_verdict, UnsafeMutablePointer<sy_error>?) -> sy_status
    let callEndHook: (@convention(c) (sy_instance?, sy_call?) -> Void)?

    /// Wraps a guardrail table returned by `get_interface`; nil when it is unusable (too small,
    /// no inspect, no phases).
    public init?(name: String, instance: sy_instance?, hostInstance: sy_hinst? = nil, table raw: UnsafeRawPointer) {
        let table = raw.assumingMemoryBound(to: sy_guardrail_v1.self)
        guard Int(table.pointee.struct_size) >= MemoryLayout<sy_guardrail_v1>.size,
              let inspect = table.pointee.inspect,
              table.pointee.phases & (SY_PHASE_REQUEST | SY_PHASE_RESPONSE | SY_PHASE_CHUNK) != 0
        else { return nil }
        self.name = name
        self.instance = instance
        self.hostInstance = hostInstance
        self.phases = table.pointee.phases & (SY_PHASE_REQUEST | SY_PHASE_RESPONSE | SY_PHASE_CHUNK)
        inspectHook = inspect
        callEndHook = table.pointee.call_end
    }

    public enum Outcome {
        /// inspect returned; SY_OK (the verdict target holds the decision) or the failure.
        case finished(PluginFailure?)
        /// inspect returned SY_PAUSE: the verdict stays valid until the plugin resumes (the
        /// target hears `pluginResumed`) or the host ends it.
        case paused(PausedVerdict)
    }

    /// Runs `inspect` on `json`, lending a verdict handle for `target`.
    public func inspect(_ call: CallDescription, phase: UInt32, json: UnsafeRawBufferPointer, target: some PluginVerdictTarget) -> Outcome {
        var error = freshError()
        let (status, paused) = call.withInfo { info in
            withPluginVerdict(target, owner: hostInstance) { verdict in inspectHook(instance, call.handle, info, phase, json.syBytes, verdict, &error) }
        }
        if let paused { return .paused(paused) }
        return .finished(status == SY_OK ? nil : PluginFailure(status: status, error: &error))
    }

    /// `call_end`, once per call this instance inspected.
    public func callEnded(_ call: sy_call?) {
        callEndHook?(instance, call)
    }
}
