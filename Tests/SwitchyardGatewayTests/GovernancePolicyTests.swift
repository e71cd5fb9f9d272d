@testable import SwitchyardGateway
import SwitchyardConfig
import SwitchyardCore
import Testing

/// Which scopes a request counts against, and what it is estimated to use.
@Suite struct GovernancePolicyTests {
    static let yaml = """
        budgets:
          default_output_tokens: 100
          keys: {default: {limit: 10, period: monthly}, key_own: {limit: 1, period: daily}}
          users: {alice: {limit: 5, period: daily}}
        rate_limits:
          keys: {default: {rpm: 600, tpm: 1000}}
          teams: {default: {concurrency: 50}}
          models: {echo-1: {rpm: 100}}
        pricing:
          models: {up-a: {input: 1, output: 2}, up-b: {input: 3, output: 4, reasoning: 8}}
        """

    func policy(_ yaml: String = Self.yaml) throws -> GovernancePolicy? {
        let config = try ConfigLoader.parse(yaml: Array(yaml.utf8), sourceName: "test.yaml")
        return GovernancePolicy(config: config, ledger: LocalLedger(), clock: LedgerClock())
    }

    @Test("nothing configured: no policy, the request path's one nil check")
    func off() throws {
        #expect(try policy("pricing:\n  models: {m: {input: 1, output: 1}}\n") == nil)
    }

    @Test("scopes: the key's own settings win, defaults fill in, empty scopes are left out")
    func scopes() throws {
        let policy = try #require(try policy())
        let caller = Caller(keyID: "key_abc", keyPrefix: "sk-sy-AbCd", user: "alice", team: "research",
                            budget: SpendLimit(limit: 7, period: .total))
        let scopes = policy.scopes(caller: caller, model: "echo-1", admission: .generation(outputTokens: true))
        #expect(scopes.map(\.id) == ["key:key_abc", "user:alice", "team:research", "model:echo-1"])
        #expect(scopes[0].budget == SpendLimit(limit: 7, period: .total))
        #expect(scopes[0].limits == RateLimitSettings(requestsPerMinute: 600, tokensPerMinute: 1000))
        #expect(scopes[0].displayName == "key key_abc (sk-sy-AbCd…)")
        #expect(scopes[1].budget == SpendLimit(limit: 5_000_000, period: .daily) && scopes[1].limits == nil)
        #expect(scopes[2].budget == nil && scopes[2].limits == RateLimitSettings(concurrency: 50))
        // No caller (open gateway): the model only; a model without limits: nothing.
        #expect(policy.scopes(caller: nil, model: "echo-1", admission: .generation(outputTokens: true)).map(\.id) == ["model:echo-1"])
        #expect(policy.scopes(caller: nil, model: "other", admission: .generation(outputTokens: true)).isEmpty)
        // Requests only (count_tokens, passthrough, files, batches): no budget, no tpm.
        let counted = policy.scopes(caller: Caller(keyID: "key_x", keyPrefix: "p", user: "bob"), model: "", admission: .requestsOnly)
        #expect(counted.map(\.id) == ["key:key_x"])
        #expect(counted[0].budget == nil && counted[0].limits == RateLimitSettings(requestsPerMinute: 600))
        // The master key: only its own entries, not keys.default.
        #expect(policy.scopes(caller: Caller(keyID: Caller.masterKeyID, keyPrefix: "m"), model: "", admission: .generation(outputTokens: true)).isEmpty)
    }

    @Test("the output allowance is read from the body's top level", arguments: [
        (#"{"model":"m","max_tokens":42}"#, 42),
        (#"{"max_completion_tokens":7,"model":"m"}"#, 7),
        (#"{"max_output_tokens":300}"#, 300),
        (#"{"model":"m","metadata":{"max_tokens":5}}"#, nil),
        (#"{"max_tokens":"5"}"#, nil),
        ("not json", nil),
        // Several caps: the largest, whichever comes first (a small first one must not shrink
        // the reservation while the provider honours a large one).
        (#"{"max_tokens":1,"max_completion_tokens":5000}"#, 5000),
        (#"{"max_output_tokens":900,"max_tokens":3}"#, 900),
        (#"{"max_tokens":1,"max_completion_tokens":"x","max_output_tokens":70}"#, 70),
    ] as [(String, Int?)])
    func outputAllowance(body: String, tokens: Int?) {
        #expect(GovernancePolicy.outputAllowance(Array(body.utf8)) == tokens)
    }

    @Test("the estimate prices the dearest upstream model, output at the higher of output and reasoning")
    func estimate() throws {
        let policy = try #require(try policy())
        // 40 prompt tokens and 100 output: up-a 40 + 200 = 240; up-b 120 + 800 = 920.
        #expect(policy.costs.estimate(upstreamModels: ["up-a", "up-b"], promptTokens: 40, outputTokens: 100) == 920)
        #expect(policy.cost(upstreamModel: "up-a", nil) == (0, 0))
    }

    @Test("unpriced upstream models are named when budgets are configured")
    func unpriced() throws {
        let config = try ConfigLoader.parse(yaml: Array("""
            plugins: [{name: p, path: /x.so}]
            providers: [{name: a, plugin: p, models: [m1, {m2: up-b}, "*"]}]
            budgets: {users: {u: {limit: 1, period: daily}}}
            pricing: {models: {up-b: {input: 1, output: 1}}}
            """.utf8), sourceName: "t.yaml")
        #expect(GovernancePolicy.unpricedModels(config) == ["m1"])
    }
}
