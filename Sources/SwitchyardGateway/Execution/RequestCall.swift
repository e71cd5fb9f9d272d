import SwitchyardCore
import SwitchyardPlugins

/// The `sy_call` of one request, as the executor keeps it (`PlanExecutor.pluginCall`): created
/// with the plan's facts when the executor is, told each attempt's provider, cancelled when the
/// client goes away and ended when the request is over (PluginCall.swift has the rules). Its
/// `http_send` runs on the request's loop (`LoopPluginHTTP`).
///
/// A later stage that calls plugins for the request (the guardrail chain) passes
/// `pluginCall.handle` as their `sy_call`, as the provider hooks get it through
/// `CallDescription.handle`.
extension PluginCall {
    convenience init(plan: ExecutionPlan, http: LoopPluginHTTP?) {
        self.init(
            requestID: plan.requestID,
            facts: Facts(endpoint: plan.operation.rawValue, mode: plan.mode.rawValue, model: plan.resolution.resolved,
                         requestedModel: plan.resolution.requested, stream: plan.stream),
            http: http)
    }
}
