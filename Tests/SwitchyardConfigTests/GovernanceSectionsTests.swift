import SwitchyardCore
import Testing

@testable import SwitchyardConfig

@Suite("budgets and rate_limits sections")
struct GovernanceSectionsTests {
    @Test("absent: nothing configured")
    func absent() throws {
        let config = try parse("")
        #expect(config.budgets.isEmpty && config.rateLimits.isEmpty)
        #expect(config.budgets.defaultOutputTokens == 1024)
    }

    @Test("budgets: decimal limits read exactly into micros, defaults and named entries")
    func budgets() throws {
        let budgets = try parse("""
            budgets:
              default_output_tokens: 256
              keys: {default: {limit: 10.00, period: monthly}}
              users: {default: {limit: 0.1, period: total}, alice: {limit: 5, period: daily}}
              teams: {research: {limit: 100.123456, period: monthly}}
            """).budgets
        #expect(budgets.defaultOutputTokens == 256)
        #expect(budgets.keys.setting(for: "key_x") == SpendLimit(limit: 10_000_000, period: .monthly))
        #expect(budgets.users.setting(for: "alice") == SpendLimit(limit: 5_000_000, period: .daily))
        #expect(budgets.users.setting(for: "bob") == SpendLimit(limit: 100_000, period: .total))
        #expect(budgets.teams.setting(for: "research") == SpendLimit(limit: 100_123_456, period: .monthly))
        #expect(budgets.teams.setting(for: "other") == nil)
    }

    @Test("rate_limits: each limit optional, models by requested name")
    func rateLimits() throws {
        let limits = try parse("""
            rate_limits:
              keys: {default: {rpm: 600, tpm: 200000, concurrency: 20}}
              users: {alice: {rpm: 60}}
              teams: {default: {concurrency: 50}}
              models: {echo-1: {rpm: 100, tpm: 50000, concurrency: 10}}
            """).rateLimits
        #expect(limits.keys.fallback == RateLimitSettings(requestsPerMinute: 600, tokensPerMinute: 200_000, concurrency: 20))
        #expect(limits.users.setting(for: "alice") == RateLimitSettings(requestsPerMinute: 60))
        #expect(limits.users.setting(for: "bob") == nil)
        #expect(limits.teams.setting(for: "any") == RateLimitSettings(concurrency: 50))
        #expect(limits.models.setting(for: "echo-1")?.tokensPerMinute == 50_000)
    }

    @Test("errors name the file, line and key", arguments: [
        ("budgets:\n  keys: {default: {limit: -1, period: daily}}\n", "test.yaml:2:27: budgets.keys.default.limit: expected an amount of money such as 10 or 2.50 (at most 6 decimals, not negative), got \"-1\""),
        ("budgets:\n  keys: {default: {limit: 1.0000001, period: daily}}\n", "test.yaml:2:27: budgets.keys.default.limit: expected an amount of money such as 10 or 2.50 (at most 6 decimals, not negative), got \"1.0000001\""),
        ("budgets:\n  users: {alice: {limit: 1, period: weekly}}\n", "test.yaml:2:37: budgets.users.alice.period: expected a period of daily, monthly or total, got \"weekly\""),
        ("budgets:\n  users: {alice: {limit: 1}}\n", "test.yaml:2:18: budgets.users.alice: missing required key \"period\""),
        ("budgets:\n  teams: {a: {limit: 1, period: daily, cap: 2}}\n", "test.yaml:2:40: budgets.teams.a.cap: unknown key (known keys: limit, period)"),
        ("budgets:\n  groups: {}\n", "test.yaml:2:3: budgets.groups: unknown key (known keys: default_output_tokens, keys, users, teams)"),
        ("rate_limits:\n  models: {m: {rpm: 0}}\n", "test.yaml:2:21: rate_limits.models.m.rpm: 0 is out of range (1 to 1000000000)"),
        ("rate_limits:\n  models: {m: {rpm: -5}}\n", "test.yaml:2:21: rate_limits.models.m.rpm: -5 is out of range (1 to 1000000000)"),
        ("rate_limits:\n  users: {u: {}}\n", "test.yaml:2:14: rate_limits.users.u: expected at least one of rpm, tpm, concurrency"),
        ("rate_limits:\n  users: {u: {rps: 1}}\n", "test.yaml:2:15: rate_limits.users.u.rps: unknown key (did you mean \"rpm\"?)"),
        ("rate_limits:\n  users: [a]\n", "test.yaml:2:10: rate_limits.users: expected a mapping of user name (or default) to its settings, got a list"),
    ])
    func errors(yaml: String, message: String) {
        #expect(errorText(yaml) == message)
    }

    @Test("money text", arguments: [("0", 0), ("12", 12_000_000), ("2.5", 2_500_000), ("0.000001", 1), ("100.123456", 100_123_456)] as [(String, Int64)])
    func money(text: String, micros: Int64) {
        #expect(BudgetsSection.parseMicros(text) == micros)
    }

    @Test("not money", arguments: ["", ".5", "5.", "1e3", "-1", "1.2.3", "1,5", "0.0000001"])
    func notMoney(text: String) {
        #expect(BudgetsSection.parseMicros(text) == nil)
    }
}
