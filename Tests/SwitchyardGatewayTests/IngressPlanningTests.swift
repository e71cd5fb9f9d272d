import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardJSON
import Testing

/// Which operation each provider is called with for each ingress.
@Suite struct IngressPlanningTests {
    @Test func nativeWhenDeclaredTranslatedThroughChatOtherwise() {
        let anthropic: Set<String> = ["chat_completions", "messages", "count_tokens"]
        let chatOnly: Set<String> = ["chat_completions"]
        #expect(providerOperation(for: .messages, serving: anthropic) == .messages)
        #expect(providerOperation(for: .messages, serving: chatOnly) == .chatCompletions)
        #expect(providerOperation(for: .responses, serving: chatOnly) == .chatCompletions)
        #expect(providerOperation(for: .embeddings, serving: chatOnly) == nil)
        #expect(providerOperation(for: .countTokens, serving: chatOnly) == nil)
        #expect(providerOperation(for: .countTokens, serving: anthropic) == .countTokens)
    }

    @Test func providersThatCannotServeTheOperationLeaveThePlanAndNoneLeftIsA400() throws {
        let routing = RoutingTable(
            providers: [RoutingTable.Provider(name: "echo", plugin: "echo", models: ["m"]),
                        RoutingTable.Provider(name: "oai", plugin: "oai", models: ["m"])],
            aliases: [:])
        let planner = PlanBuilder(routing: routing, guardrails: [],
                                  providerOperations: ["echo": ["chat_completions"], "oai": ["chat_completions", "embeddings"]])
        let embeddings = try planner.plan(requestID: "r", operation: .embeddings, model: "m", stream: false)
        #expect(embeddings.attempts.map(\.provider) == ["oai"])
        let messages = try planner.plan(requestID: "r", operation: .messages, model: "m", stream: true)
        #expect(messages.attempts.map(\.operation) == [.chatCompletions, .chatCompletions])
        #expect(messages.needsTranslation)
        #expect(throws: GatewayError.self) { try planner.plan(requestID: "r", operation: .countTokens, model: "m", stream: false) }
    }
}

/// The access log reads the normalized usage every provider reports (docs/canonical.md).
@Suite struct UsageCountsTests {
    @Test func everyNormalizedFieldIsRead() throws {
        let meta = Array(#"{"usage":{"prompt_tokens":35,"completion_tokens":15,"total_tokens":50,"prompt_tokens_details":{"cached_tokens":10,"cache_creation_tokens":4},"completion_tokens_details":{"reasoning_tokens":7}}}"#.utf8)
        let counts = try #require(UsageCounts(meta))
        #expect(counts.prompt == 35 && counts.completion == 15)
        #expect(counts.cached == 10 && counts.cacheCreation == 4 && counts.reasoning == 7)
    }

    @Test func plainUsageAndNonUsageMetadata() {
        let plain = UsageCounts(Array(#"{"usage":{"prompt_tokens":2,"completion_tokens":3}}"#.utf8))
        #expect(plain?.prompt == 2 && plain?.cached == nil && plain?.reasoning == nil)
        #expect(UsageCounts(Array(#"{"retry_after_seconds":3}"#.utf8)) == nil)
        #expect(UsageCounts(Array(#"{"usage":null}"#.utf8)) == nil)
    }
}
