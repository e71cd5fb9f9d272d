import SwitchyardCore
import SwitchyardJSON
import SwitchyardPosix

/// One line per request, enriched from the plan (the single source of truth for what was
/// decided): request id, endpoint, model resolution, provider, attempts, status, timings, usage.
/// Every request that had a plan ends here once, so its metrics are counted here too (into the
/// loop's shard, with the usage parsed once for both).
struct AccessLog: Sendable {
    let enabled: Bool
    let log: GatewayLog
    /// The metric label ids of this config's models and providers.
    var labels = MetricLabels.empty
    /// Prices the settlement of requests admitted under budgets and rate limits.
    var governance: GovernancePolicy? = nil
    /// `usage.record`: nil when off (the request path pays this nil check).
    var usageRecorder: UsageRecorder?

    /// `firstContentAt`: when a stream's first bytes went out (monotonic ns; 0 when none did).
    func record(plan: ExecutionPlan, status: Int, attempt: Int, startedAt: UInt64, upstreamNanoseconds: UInt64, usage: [UInt8]?, failure: String?,
                guardrails: GuardrailRecord? = nil, enrichment: Enrichment? = nil, responseStreamed: Bool = false, firstContentAt: UInt64 = 0, retries: Int = 0,
                traceID: String? = nil,
                into context: LoopContext) {
        let total = monotonicNanoseconds() &- startedAt
        let counts = usage.flatMap(UsageCounts.init)
        let model = plan.passthrough != nil ? enrichment?.model ?? "" : plan.resolution.resolved
        // Priced at the attempt's upstream model (the enrichers' model on passthrough), once, for
        // the settlement and the usage record alike.
        var cost: Micros?
        var estimateCharged = false
        if let settlement = plan.settlement, let governance {  // every request ends here once: its hold ends too
            var priced = governance.cost(upstreamModel: plan.passthrough != nil ? model : plan.attempts[attempt].upstreamModel, counts)
            if counts == nil, firstContentAt != 0 || responseStreamed || status < 400 {
                // Content reached the client but no usage arrived (it comes last in a stream: the
                // client left, or the upstream cut after content; or a whole answer reported
                // none): the reservation is charged, or such a request would be free. Nothing
                // reached the client: a full refund.
                priced = settlement.estimate
                estimateCharged = true
            }
            cost = priced.cost
            settlement.settle(cost: priced.cost, tokens: priced.tokens, status: status)
        }
        let ids = context.metrics.ids(model: model, provider: plan.attempts[attempt].provider, in: labels)
        let key = MetricSeriesKey.make(route: MetricRoute.id(plan.operation), model: ids.model, provider: ids.provider, status: status)
        context.metrics.record(
            key, attempts: attempt + 1 + retries, duration: total, upstream: upstreamNanoseconds,
            firstContent: firstContentAt == 0 ? 0 : max(1, firstContentAt &- startedAt), usage: counts)
        if let usageRecorder {
            let upstream = plan.passthrough != nil ? model : plan.attempts[attempt].upstreamModel
            let cost = cost ?? counts.map { usageRecorder.costs.cost(upstreamModel: upstream, $0) } ?? 0
            usageRecorder.record(UsageRecord(plan: plan, attempt: attempt, status: status, model: model, counts: counts, cost: cost,
                                     latencyNanoseconds: total, now: RetentionSweep.now()), into: context)
        }
        guard enabled, log.minimum <= .info else { return }
        var line = LogLine(level: .info, message: "request")
        line.field("request_id", plan.requestID)
        line.field("endpoint", plan.operation.rawValue)
        line.field("status", status)
        if let passthrough = plan.passthrough {
            // Passthrough and the native files and batches routes. The model is what the
            // enrichers found in the native exchange ("" when none did).
            let model = enrichment?.model ?? ""
            line.field("model", model)
            line.field("resolved", model)
            line.field("provider", plan.attempts[attempt].provider)
            switch plan.mode {
            case .nativeFile: line.field("mode", word: "native_file")
            case .nativeBatch: line.field("mode", word: "native_batch")
            default: line.field("mode", word: "passthrough")
            }
            line.field("method", passthrough.method)
            // Without the query: it may carry a credential (Gemini's `?key=`).
            line.field("path", String(passthrough.pathOnly))
        } else {
            line.field("model", plan.resolution.requested)
            line.field("resolved", plan.resolution.resolved)
            line.field("provider", plan.attempts[attempt].provider)
            let native = ExecutionMode(provider: plan.attempts[attempt].operation, ingress: plan.operation) == .native
            line.field("mode", word: native ? "native" : "translated")
        }
        // Upstream tries: the plan's attempts so far plus the retries on them.
        line.field("attempts", attempt + 1 + retries)
        if retries > 0 { line.field("retries", retries) }
        if let traceID { line.field("trace_id", token: traceID) }  // lowercase hex (TraceContext)
        if plan.passthrough == nil { writeRouting(plan.routing, into: &line) }
        line.field("stream", plan.stream || responseStreamed ? "true" : "false")
        line.field("duration_us", Int(total / 1000))
        line.field("upstream_us", Int(upstreamNanoseconds / 1000))
        if plan.internalRequest { line.field("internal", "true") }
        if let counts {
            if let prompt = counts.prompt { line.field("prompt_tokens", prompt) }
            if let completion = counts.completion { line.field("completion_tokens", completion) }
            if let cached = counts.cached, cached > 0 { line.field("cached_tokens", cached) }
            if let written = counts.cacheCreation, written > 0 { line.field("cache_creation_tokens", written) }
            if let reasoning = counts.reasoning, reasoning > 0 { line.field("reasoning_tokens", reasoning) }
        }
        if estimateCharged, let cost { line.field("estimate_charged_micros", Int(cost)) }
        if let guardrails, !guardrails.isEmpty { line.quotedField("guardrails") { guardrails.write(into: &$0) } }
        if let enrichment {
            if let operation = enrichment.operation { line.field("operation", operation) }
            if let auditPath = enrichment.auditPath { line.field("audit_path", auditPath) }
            if !enrichment.record.isEmpty { line.quotedField("enrichers") { enrichment.record.write(into: &$0) } }
        }
        if let failure { line.field("error", failure) }
        context.accessLog.append(line)
    }
}

/// Token counts from a provider's normalized `{"usage":{...}}` metadata (docs/canonical.md),
/// read without building a tree.
struct UsageCounts: Equatable {
    var prompt: Int?
    var completion: Int?
    var cached: Int?
    var cacheCreation: Int?
    var reasoning: Int?

    init?(_ meta: [UInt8]) {
        var counts: UsageCounts?
        meta.withUnsafeBytes { raw in
            // One scan per object: the metadata, its usage, and each details object present.
            guard let usage = Self.member(raw, scan: try? TopLevelScan(raw), "usage"), usage.first == UInt8(ascii: "{"),
                  let scan = try? TopLevelScan(usage) else { return }
            var found = UsageCounts()
            found.prompt = Self.integer(usage, scan, "prompt_tokens")
            found.completion = Self.integer(usage, scan, "completion_tokens")
            if let details = Self.member(usage, scan: scan, "prompt_tokens_details"), details.first == UInt8(ascii: "{"),
               let inner = try? TopLevelScan(details) {
                found.cached = Self.integer(details, inner, "cached_tokens")
                found.cacheCreation = Self.integer(details, inner, "cache_creation_tokens")
            }
            if let details = Self.member(usage, scan: scan, "completion_tokens_details"), details.first == UInt8(ascii: "{"),
               let inner = try? TopLevelScan(details) {
                found.reasoning = Self.integer(details, inner, "reasoning_tokens")
            }
            counts = found
        }
        guard let counts else { return nil }
        self = counts
    }

    private init() {}

    private static func member(_ raw: UnsafeRawBufferPointer, scan: TopLevelScan?, _ key: String) -> UnsafeRawBufferPointer? {
        guard let range = scan?.range(of: key) else { return nil }
        return UnsafeRawBufferPointer(rebasing: raw[range])
    }

    private static func integer(_ raw: UnsafeRawBufferPointer, _ scan: TopLevelScan, _ key: String) -> Int? {
        guard let span = scan.range(of: key), !span.isEmpty else { return nil }
        var value = 0
        for byte in raw[span] {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value &* 10 &+ Int(byte - 0x30)
            // A plugin's (an upstream's) count is not trusted: saturate, so costs and token
            // windows built from it stay in range.
            if value > Self.maximumCount { return Self.maximumCount }
        }
        return value
    }

    /// 2^40 tokens: far beyond any real request.
    static let maximumCount = 1 << 40
}
