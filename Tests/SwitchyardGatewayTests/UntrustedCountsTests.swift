@testable import SwitchyardGateway
import SwitchyardConfig
import SwitchyardCore
import Testing

/// What a plugin (an upstream) reports is not trusted: counts past any real request saturate
/// instead of trapping in the cost, the usage record or the tokens-per-minute window.
@Suite struct UntrustedCountsTests {
    @Test func aHugeUsageCountSaturates() throws {
        let meta = Array(#"{"usage":{"prompt_tokens":99999999999999999999999,"completion_tokens":18446744073709551617}}"#.utf8)
        let counts = try #require(UsageCounts(meta))
        #expect(counts.prompt == UsageCounts.maximumCount)
        #expect(counts.completion == UsageCounts.maximumCount)
        let batch = UsageCounts(prompt: Int.max, completion: Int.max, cached: Int.max, reasoning: 0)
        #expect(batch.prompt == UsageCounts.maximumCount && batch.cached == UsageCounts.maximumCount)
    }

    @Test func aCostPastInt64Saturates() {
        let costs = CostTable(PricingCatalog(models: ["m": ModelPrice(input: 1e12, output: 1e12)]))
        let counts = UsageCounts(prompt: Int.max, completion: Int.max, cached: 0, reasoning: 0)
        #expect(costs.cost(upstreamModel: "m", counts) == Micros.max)
    }

    @Test func theTokenWindowSaturates() {
        var window = SlidingWindowCounter()
        for _ in 0..<10 { window.add(Int64.max, at: 5) }
        #expect(window.current == SlidingWindowCounter.ceiling)
        _ = SlidingWindow.scaledCount(previous: window.current, current: window.current, into: 0)  // no trap
    }

    @Test func aRouteMatchesOnASegmentBoundary() {
        let key = ClientIdentity(caller: Caller(keyID: "key_1", keyPrefix: "sk-sy-1234"), models: nil, routes: ["/p/openai", "/v1/files/"])
        #expect(throws: Never.self) { try key.authorize(path: "/p/openai/v1/models") }
        #expect(throws: Never.self) { try key.authorize(path: "/p/openai") }
        #expect(throws: GatewayError.self) { try key.authorize(path: "/p/openai-eu/v1/models") }
        #expect(throws: Never.self) { try key.authorize(path: "/v1/files/abc") }
    }
}
