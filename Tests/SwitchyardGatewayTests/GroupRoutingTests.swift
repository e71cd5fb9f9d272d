import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPosix
import Testing
@testable import SwitchyardGateway

/// The strategies draw from SplitMix (SSEEventSizeTrackerTests.swift): the same streams every run.
extension SplitMix: RandomNumberGenerator {}

@Suite struct GroupRoutingTests {
    static let providers: [RoutingTable.Provider] = [
        .init(name: "a", plugin: "x", models: ["gpt-4o", "fast"], upstreamModels: ["fast": "gpt-4o-mini-2024-07-18"]),
        .init(name: "b", plugin: "x", models: ["gpt-4o"]),
        .init(name: "c", plugin: "x", models: ["gpt-4o", "other"]),
    ]

    func table(_ groups: [ModelGroup], pricing: PricingCatalog = PricingCatalog()) -> RoutingTable {
        RoutingTable(providers: Self.providers, aliases: ["alias": "g"], groups: groups, pricing: pricing)
    }

    func group(_ strategy: RoutingStrategy, _ targets: [GroupTarget] = [], change: (inout ModelGroup) -> Void = { _ in }) -> ModelGroup {
        var made = ModelGroup(name: "g", strategy: strategy, targets: targets, location: SourceLocation(file: "t", line: 1, column: 1))
        change(&made)
        return made
    }

    func inputs(_ body: String = #"{"model":"g","messages":[]}"#, headers: [(String, String)] = [], operation: EndpointOperation = .chatCompletions) -> RoutingInputs {
        RoutingInputs(operation: operation, headers: HTTPHeaders(headers), body: Array(body.utf8))
    }

    static let abc = [GroupTarget(provider: "a", model: "gpt-4o"), GroupTarget(provider: "b", model: "gpt-4o"), GroupTarget(provider: "c", model: "gpt-4o")]

    @Test func namesMapToUpstreamAndGroupsAreListed() throws {
        let routing = table([group(.fallback, Self.abc)])
        let (_, attempts) = try routing.resolve("fast")
        #expect(attempts.map(\.upstreamModel) == ["gpt-4o-mini-2024-07-18"])
        #expect(routing.modelIDs.map(\.id) == ["gpt-4o", "fast", "other", "g", "alias"])
        let routed = try routing.route("alias", inputs: inputs())
        #expect(routed.group == "g" && routed.resolution.aliases == ["alias"])
        #expect(routed.targets.map(\.provider) == ["a", "b", "c"])
    }

    @Test func callRouteAnswersUpstreamNamesAndEveryTargetOfAGroup() {
        let routing = table([group(.weighted, Self.abc + [GroupTarget(provider: "a", model: "fast")])])
        #expect(String(decoding: routing.routeJSON(for: "fast"), as: UTF8.self)
            == #"{"model":"fast","targets":[{"provider":"a","upstream_model":"gpt-4o-mini-2024-07-18"}]}"#)
        let group = String(decoding: routing.routeJSON(for: "alias"), as: UTF8.self)
        #expect(group.hasPrefix(#"{"model":"g","targets":[{"provider":"a","upstream_model":"gpt-4o"}"#))
        #expect(group.contains(#"{"provider":"a","upstream_model":"gpt-4o-mini-2024-07-18"}"#))
    }

    @Test func aPlainModelPlansAsFallbackWithoutARecord() throws {
        let planner = PlanBuilder(routing: table([]), guardrails: [], providerOperations: ["a": ["chat_completions"], "b": ["chat_completions"], "c": ["chat_completions"]])
        let plan = try planner.plan(requestID: "r", operation: .chatCompletions, model: "gpt-4o", stream: false)
        #expect(plan.routing == .plain)
        #expect(plan.attempts.map(\.provider) == ["a", "b", "c"])
    }

    @Test func weightedFollowsTheWeights() {
        let targets = [RouteTarget(provider: "a", plugin: "x", upstreamModel: "m", health: TargetHealth(provider: "a", model: "m", policy: nil), weight: 3),
                       RouteTarget(provider: "b", plugin: "x", upstreamModel: "m", health: TargetHealth(provider: "b", model: "m", policy: nil), weight: 1)]
        var random = SplitMix(seed: 7)
        var first = 0
        for _ in 0..<4000 {
            let order = StrategyOrder.weighted(targets, random: &random)
            #expect(order.count == 2 && Set(order.map(\.provider)) == ["a", "b"])
            if order[0].provider == "a" { first += 1 }
        }
        #expect((2850...3150).contains(first))
    }

    @Test func leastLatencyPrefersUnsampledThenFastestAndExplores() {
        let health = (0..<3).map { TargetHealth(provider: "p\($0)", model: "m", policy: nil) }
        let targets = health.map { RouteTarget(provider: $0.provider, plugin: "x", upstreamModel: "m", health: $0) }
        health[0].recordLatency(300)
        health[2].recordLatency(100)
        var random = SplitMix(seed: 1)
        #expect(StrategyOrder.leastLatency(targets, exploration: 0, random: &random).map(\.provider) == ["p1", "p2", "p0"])
        health[1].recordLatency(200)
        #expect(StrategyOrder.leastLatency(targets, exploration: 0, random: &random).map(\.provider) == ["p2", "p1", "p0"])
        var explored = 0
        for _ in 0..<1000 where StrategyOrder.leastLatency(targets, exploration: 0.1, random: &random)[0].provider != "p2" { explored += 1 }
        #expect((50...150).contains(explored))
    }

    @Test func costOrdersByPriceAndSkipsUnpriced() throws {
        let pricing = PricingCatalog(models: ["gpt-4o": ModelPrice(input: 2.5, output: 10), "gpt-4o-mini-2024-07-18": ModelPrice(input: 0.15, output: 0.6)])
        let routing = table([group(.cost, [GroupTarget(provider: "b", model: "gpt-4o"), GroupTarget(provider: "c", model: "other"), GroupTarget(provider: "a", model: "fast"), GroupTarget(provider: "c", model: "gpt-4o")])], pricing: pricing)
        let routed = try routing.route("g", inputs: inputs())
        #expect(routed.targets.map(\.provider) == ["a", "b", "c"])
        #expect(routed.skipped.map { "\($0.target.provider):\($0.reason)" } == ["c:no_price"])
    }

    @Test func conditionalNeedsEveryConditionOfARule() throws {
        let rule = GroupRule(headers: [("x-tier", "premium")], fields: [("temperature", .number(0))], metadata: [("team", .string("data"))],
                             targets: [GroupTarget(provider: "a", model: "gpt-4o")])
        let routing = table([group(.conditional) { $0.rules = [rule]; $0.defaultTargets = [GroupTarget(provider: "b", model: "gpt-4o")] }])
        let all = #"{"model":"g","temperature":0.0,"metadata":{"team":"data"},"messages":[]}"#
        #expect(try routing.route("g", inputs: inputs(all, headers: [("X-Tier", "premium")])).targets.map(\.provider) == ["a"])
        #expect(try routing.route("g", inputs: inputs(all)).targets.map(\.provider) == ["b"])
        let wrongField = #"{"model":"g","temperature":"0","metadata":{"team":"data"}}"#
        #expect(try routing.route("g", inputs: inputs(wrongField, headers: [("x-tier", "premium")])).targets.map(\.provider) == ["b"])
    }

    @Test func conditionalWithoutDefaultIsAClearError() {
        let rule = GroupRule(headers: [("x-tier", "premium")], targets: [GroupTarget(provider: "a", model: "gpt-4o")])
        let routing = table([group(.conditional) { $0.rules = [rule] }])
        #expect(throws: GatewayError.self) { try routing.route("g", inputs: inputs()) }
    }

    @Test func contentMatchesTheLastUserMessage() throws {
        let rule = GroupRule(pattern: try ContentPattern(#"(?i)\bsql\b"#), targets: [GroupTarget(provider: "a", model: "gpt-4o")])
        let poem = GroupRule(keywords: ["Poem"], targets: [GroupTarget(provider: "c", model: "gpt-4o")])
        let routing = table([group(.content) { $0.rules = [rule, poem]; $0.defaultTargets = [GroupTarget(provider: "b", model: "gpt-4o")] }])
        let chat = #"{"messages":[{"role":"user","content":"SQL?"},{"role":"assistant","content":"yes"},{"role":"user","content":[{"type":"text","text":"write a POEM"}]}]}"#
        #expect(try routing.route("g", inputs: inputs(chat)).targets.map(\.provider) == ["c"])
        let responses = #"{"input":"an sql join"}"#
        #expect(try routing.route("g", inputs: inputs(responses, operation: .responses)).targets.map(\.provider) == ["a"])
        #expect(try routing.route("g", inputs: inputs(#"{"messages":[{"role":"user","content":"mysql"}]}"#)).targets.map(\.provider) == ["b"])
    }

    @Test func aPatternThatBacktracksPastTheMatchLimitCountsAsNoMatch() throws {
        // The first branch backtracks about 2^22 steps before the second can match: within
        // PCRE2's default limit of ten million, past the content rules' limit of 100,000.
        let pattern = try ContentPattern("(?:(a+)+c|a+b)")
        #expect(Array("aaab".utf8).withUnsafeBytes { pattern.matches($0) })
        #expect(!Array((String(repeating: "a", count: 22) + "b").utf8).withUnsafeBytes { pattern.matches($0) })
    }

    @Test func abIsStickyPerKeyAndRandomWithout() throws {
        let routing = table([group(.ab) {
            $0.variants = [GroupVariant(name: "x", weight: 1, targets: [GroupTarget(provider: "a", model: "gpt-4o")]),
                           GroupVariant(name: "y", weight: 1, targets: [GroupTarget(provider: "b", model: "gpt-4o")])]
            $0.sticky = .header("x-session-id")
        }])
        var seen = Set<String>()
        for session in 0..<50 {
            let first = try routing.route("g", inputs: inputs(headers: [("X-Session-ID", "s\(session)")])).variant
            let again = try routing.route("g", inputs: inputs(headers: [("x-session-id", "s\(session)")])).variant
            #expect(first == again)
            seen.insert(first ?? "")
        }
        #expect(seen == ["x", "y"])
        var random = SplitMix(seed: 3)
        #expect(StickyVariant.choose([0, 5], key: "anything", salt: "g", random: &random) == 1)
    }

    @Test func anOpenTargetIsSkippedAndAllOpenIsA503WithRetryAfter() throws {
        let book = TargetHealthBook()
        let routing = RoutingTable(providers: [.init(name: "a", plugin: "x", models: ["m"]), .init(name: "b", plugin: "x", models: ["m"])], aliases: [:], healthBook: book)
        let planner = PlanBuilder(routing: routing, guardrails: [], providerOperations: ["a": ["chat_completions"], "b": ["chat_completions"]])
        let now = monotonicNanoseconds()
        let targets = try routing.route("m").targets
        for _ in 0..<5 { targets[0].health.record(.failure, latency: 0, now: now) }
        let plan = try planner.plan(requestID: "r", operation: .chatCompletions, model: "m", stream: false)
        #expect(plan.attempts.map(\.provider) == ["b"])
        #expect(plan.routing.candidates == [RoutingCandidate(provider: "a", model: "m", skip: "circuit_open"), RoutingCandidate(provider: "b", model: "m", skip: nil)])
        for _ in 0..<5 { targets[1].health.record(.failure, latency: 0, now: now) }
        do {
            _ = try planner.plan(requestID: "r", operation: .chatCompletions, model: "m", stream: false)
            Issue.record("planned with every breaker open")
        } catch {
            #expect(error.status == 503 && error.code == "circuit_open")
            #expect((29...30).contains(error.retryAfter ?? 0))
        }
    }
}
