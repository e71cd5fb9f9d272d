import SwitchyardCore
import SwitchyardPlugins

/// The request's `sy_call` (`PlanExecutor.pluginCall`): taken from the loop (`LoopContext`) and
/// opened with the executor as its source, told each attempt, cancelled when the client goes
/// away and ended when the request is over, at the latest in the executor's deinit, which gives
/// it back to the loop (PluginCall.swift has the rules). Its `http_send` runs on the request's loop
/// (`LoopPluginHTTP`); its metadata is read from the plan, only when a plugin asks.
///
/// A stage that calls plugins for the request (the guardrail chain) passes `pluginCall.handle`
/// as their `sy_call`, as provider hooks get it through `CallDescription.handle`.
extension PlanExecutor: PluginCallSource {
    var callRequestID: String { plan.requestID }

    /// Reads the plan only (immutable): safe on a worker thread running a hook of this request.
    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(
            requestID: plan.requestID, endpoint: plan.operation.rawValue, mode: plan.mode.rawValue,
            model: plan.resolution.resolved, requestedModel: plan.resolution.requested,
            provider: plan.attempts.indices.contains(attempt) ? plan.attempts[attempt].provider : "", stream: plan.stream)
    }

    /// The routing table (immutable, so any hook's thread may read it).
    var callRouter: (any PluginCallRouter)? { services.planner.routing }
}
