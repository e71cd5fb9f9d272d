import SwitchyardCore
import SwitchyardJSON
import SwitchyardPosix

/// One line per request, enriched from the plan (the single source of truth for what was
/// decided): request id, endpoint, model resolution, provider, attempts, status, timings, usage.
struct AccessLog: Sendable {
    let enabled: Bool
    let log: GatewayLog

    func record(plan: ExecutionPlan, status: Int, attempt: Int, startedAt: UInt64, upstreamNanoseconds: UInt64, usage: [UInt8]?, failure: String?,
                into batch: AccessLogBatch) {
        guard enabled, log.minimum <= .info else { return }
        let total = monotonicNanoseconds() &- startedAt
        var line = LogLine(level: .info, message: "request")
        line.field("request_id", plan.requestID)
        line.field("endpoint", plan.operation.rawValue)
        line.field("status", status)
        line.field("model", plan.resolution.requested)
        line.field("resolved", plan.resolution.resolved)
        line.field("provider", plan.attempts[attempt].provider)
        line.field("attempts", attempt + 1)
        line.field("stream", plan.stream ? "true" : "false")
        line.field("duration_us", Int(total / 1000))
        line.field("upstream_us", Int(upstreamNanoseconds / 1000))
        if let usage, let counts = UsageCounts(usage) {
            if let prompt = counts.prompt { line.field("prompt_tokens", prompt) }
            if let completion = counts.completion { line.field("completion_tokens", completion) }
        }
        if let failure { line.field("error", failure) }
        batch.append(line)
    }
}

/// Token counts from a provider's `{"usage":{...}}` metadata, read without building a tree.
struct UsageCounts {
    var prompt: Int?
    var completion: Int?

    init?(_ meta: [UInt8]) {
        let found: (Int?, Int?)? = meta.withUnsafeBytes { raw in
            guard let outer = try? TopLevelScan(raw), let range = outer.range(of: "usage"), raw[range.lowerBound] == UInt8(ascii: "{") else { return nil }
            let inner = UnsafeRawBufferPointer(rebasing: raw[range])
            guard let usage = try? TopLevelScan(inner) else { return nil }
            func integer(_ key: String) -> Int? {
                guard let span = usage.range(of: key) else { return nil }
                var value = 0
                for byte in inner[span] {
                    guard byte >= 0x30 && byte <= 0x39 else { return nil }
                    value = value &* 10 &+ Int(byte - 0x30)
                }
                return value
            }
            return (integer("prompt_tokens"), integer("completion_tokens"))
        }
        guard let found else { return nil }
        prompt = found.0
        completion = found.1
    }
}
