import SwitchyardCore

/// One row of `usage_records`: what one planned request (or one batch result line) used and
/// cost. Built on the request's loop in `AccessLog.record`, written later in a batch.
struct UsageRecord: Sendable, Equatable {
    var requestID: String
    /// Unix milliseconds when the request ended.
    var createdAt: Int64
    var keyID: String?
    var user: String?
    var team: String?
    /// The endpoint operation (`chat_completions`, `messages`, ...).
    var route: String
    var modelRequested: String
    var modelResolved: String
    var provider: String
    /// native, translated, passthrough, native_file, native_batch, inline_batch.
    var mode: String
    var promptTokens: Int = 0
    var completionTokens: Int = 0
    var cachedTokens: Int = 0
    var cacheCreationTokens: Int = 0
    var reasoningTokens: Int = 0
    var cost: Micros = 0
    var latencyMilliseconds: Int = 0
    var status: Int
    var batchID: String?
    var batchLine: String?

    /// Takes the token counts the access log parsed (absent counts are 0).
    mutating func setTokens(_ counts: UsageCounts?) {
        guard let counts else { return }
        promptTokens = counts.prompt ?? 0
        completionTokens = counts.completion ?? 0
        cachedTokens = counts.cached ?? 0
        cacheCreationTokens = counts.cacheCreation ?? 0
        reasoningTokens = counts.reasoning ?? 0
    }
}

extension UsageRecord {
    /// The record of a planned request that ended with `status` on `attempt`. `model`: what the
    /// request was served as (the enrichers' model on passthrough and native routes).
    init(plan: ExecutionPlan, attempt: Int, status: Int, model: String, counts: UsageCounts?, cost: Micros,
         latencyNanoseconds: UInt64, now: Int64) {
        let chosen = plan.attempts[attempt]
        // Passthrough, native files and batches: the plan's mode; else the attempt's (as the access log says).
        let mode = plan.passthrough != nil ? plan.mode.rawValue : ExecutionMode(provider: chosen.operation, ingress: plan.operation).rawValue
        self.init(requestID: plan.requestID, createdAt: now, keyID: plan.caller?.keyID, user: plan.caller?.user, team: plan.caller?.team,
                  route: plan.operation.rawValue, modelRequested: plan.passthrough != nil ? model : plan.resolution.requested,
                  modelResolved: model, provider: chosen.provider, mode: mode, cost: cost,
                  latencyMilliseconds: Int(latencyNanoseconds / 1_000_000), status: status)
        setTokens(counts)
    }
}
