import SwitchyardCore
import SwitchyardHTTP

extension GatewayServices {
    /// Admits a planned request under the generation's budgets and rate limits, then `start`s
    /// it with its settlement on the plan. A refusal ends the request like any planned one (its
    /// access-log line and metrics, status 429) and answers the error in the route's shape
    /// (Anthropic's on `/v1/messages…`). Callers check `governance != nil` first, so the path
    /// without governance builds no closure. On the request's loop; `start` runs on it too.
    func admit(_ plan: ExecutionPlan, _ admission: GovernancePolicy.Admission, _ request: HTTPRequest, writer: ResponseWriter, context: LoopContext,
               then start: @escaping (ExecutionPlan) -> Void) {
        guard let governance else { return start(plan) }
        governance.admit(plan, body: request.body, admission: admission, on: writer.loop) { [self] result in
            switch result {
            case .success(let settlement):
                var admitted = plan
                admitted.settlement = settlement
                start(admitted)
            case .failure(let error):
                accessLog.record(plan: plan, status: error.status, attempt: 0, startedAt: request.receivedAt, upstreamNanoseconds: 0, usage: nil,
                                 failure: error.message, into: context)
                if request.path.hasPrefix("/v1/messages") {
                    writer.send(status: error.status, headers: GatewayResponder.errorHeaders(error),
                                body: anthropicErrorBody(status: error.status, gatewayError: error.body))
                } else {
                    GatewayResponder.send(error, to: writer)
                }
            }
        }
    }
}
