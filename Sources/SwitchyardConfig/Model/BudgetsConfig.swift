import SwitchyardCore

/// `budgets:`: spend limits per key, user and team, in the pricing catalog's currency
/// (docs/governance.md#budgets). A key's own budget (admin API) wins over `keys`; a name without
/// an entry takes the kind's `default` entry, when there is one.
public struct BudgetsConfig: Sendable, Equatable {
    /// Output tokens reserved for a request that sets no max_tokens of its own.
    public var defaultOutputTokens: Int
    public var keys: ScopedSettings<SpendLimit>
    public var users: ScopedSettings<SpendLimit>
    public var teams: ScopedSettings<SpendLimit>

    public static let standardOutputTokens = 1024

    public init(defaultOutputTokens: Int = BudgetsConfig.standardOutputTokens, keys: ScopedSettings<SpendLimit> = ScopedSettings(),
                users: ScopedSettings<SpendLimit> = ScopedSettings(), teams: ScopedSettings<SpendLimit> = ScopedSettings()) {
        self.defaultOutputTokens = defaultOutputTokens
        self.keys = keys
        self.users = users
        self.teams = teams
    }

    public var isEmpty: Bool { keys.isEmpty && users.isEmpty && teams.isEmpty }
}

/// Settings by name with an optional `default` entry for names without their own.
public struct ScopedSettings<Value: Sendable & Equatable>: Sendable, Equatable {
    public var named: [String: Value]
    public var fallback: Value?

    public static var defaultName: String { "default" }

    public init(named: [String: Value] = [:], fallback: Value? = nil) {
        self.named = named
        self.fallback = fallback
    }

    public var isEmpty: Bool { named.isEmpty && fallback == nil }

    /// The entry for `name`, else the default entry.
    public func setting(for name: String) -> Value? { named[name] ?? fallback }
}
