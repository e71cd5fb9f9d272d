import SwitchyardCore
import SwitchyardJSON
import SwitchyardPosix

/// One line per request, enriched from the plan (the single source of truth for what was
/// decided): request id, endpoint, model resolution, provider, attempts, status, timings, usage.
struct AccessLog: Sendable {
    let enabled: Bool
    let log: GatewayLog

    func record(plan: ExecutionPlan, status: Int, attempt: Int, startedAt: UInt64, upstreamNanoseconds: UInt64, usage: [UInt8]?, failure: String?) {
        guard enabled else { return }
        let total = monotonicNanoseconds() &- startedAt
        var fields: [(String, String)] = [
            ("endpoint", plan.operation.rawValue), ("status", String(status)), ("model", plan.resolution.requested),
            ("resolved", plan.resolution.resolved), ("provider", plan.attempts[attempt].provider),
            ("attempts", String(attempt + 1)), ("stream", plan.stream ? "true" : "false"),
            ("duration_us", String(total / 1000)), ("upstream_us", String(upstreamNanoseconds / 1000)),
        ]
        if let usage, let parsed = try? JSONValue.parse(usage), let counts = parsed["usage"] {
            if let prompt = counts["prompt_tokens"]?.intValue { fields.append(("prompt_tokens", String(prompt))) }
            if let completion = counts["completion_tokens"]?.intValue { fields.append(("completion_tokens", String(completion))) }
        }
        if let failure { fields.append(("error", failure)) }
        log.emit(.info, "request", requestID: plan.requestID, fields: fields)
    }
}
