import CSwitchyardPlugin

// The C entry points of switchyard.guardrail/1, forwarding to the Swift protocol. Each runs on
// the host thread that calls it; `json` and `info` are borrowed for the call.

let guardrailInspect: @convention(c) (sy_instance?, sy_call?, UnsafePointer<sy_call_info>?, UInt32, sy_bytes, sy_verdict, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    instance, call, info, phase, json, verdict, errorOut in
    let box = guardrailBox(instance)
    guard let phase = Inspection.Phase(rawValue: phase) else { return SY_E_INVALID }
    let inspection = Inspection(phase: phase, json: json.buffer, info: CallInfo(info), call: PluginCall(call, host: box.host))
    do throws(PluginError) {
        switch try box.guardrail.inspect(inspection, verdict: Verdict(handle: verdict, host: box.host)) {
        case .complete: return SY_OK
        case .paused: return SY_PAUSE
        }
    } catch {
        return error.fill(errorOut)
    }
}

let guardrailCallEnd: @convention(c) (sy_instance?, sy_call?) -> Void = { instance, call in
    let box = guardrailBox(instance)
    box.guardrail.callEnded(PluginCall(call, host: box.host))
}
