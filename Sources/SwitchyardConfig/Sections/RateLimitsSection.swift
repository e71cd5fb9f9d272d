import SwitchyardCore

/// Decodes `rate_limits:`: `keys`/`users`/`teams`/`models`, each a mapping of name (or
/// `default`) to `{rpm, tpm, concurrency}` (each optional, a positive integer).
enum RateLimitsSection {
    static let keys = ["keys", "users", "teams", "models"]
    static let limitKeys = ["rpm", "tpm", "concurrency"]

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> RateLimitsConfig {
        var limits = RateLimitsConfig()
        guard let value else { return limits }
        let fields = try value.mapping(allowedKeys: keys)
        limits.keys = try ScopedSection.decode(fields["keys"], what: "key id") { v throws(ConfigError) in try settings(v) }
        limits.users = try ScopedSection.decode(fields["users"], what: "user name") { v throws(ConfigError) in try settings(v) }
        limits.teams = try ScopedSection.decode(fields["teams"], what: "team name") { v throws(ConfigError) in try settings(v) }
        limits.models = try ScopedSection.decode(fields["models"], what: "model name") { v throws(ConfigError) in try settings(v) }
        return limits
    }

    static func settings(_ value: ConfigValue) throws(ConfigError) -> RateLimitSettings {
        let fields = try value.mapping(allowedKeys: limitKeys)
        let settings = RateLimitSettings(
            requestsPerMinute: try fields["rpm"].map { v throws(ConfigError) in try v.integer(in: 1...1_000_000_000) },
            tokensPerMinute: try fields["tpm"].map { v throws(ConfigError) in try v.integer(in: 1...1_000_000_000_000) },
            concurrency: try fields["concurrency"].map { v throws(ConfigError) in try v.integer(in: 1...1_000_000) })
        guard !settings.isEmpty else { throw value.error("expected at least one of rpm, tpm, concurrency") }
        return settings
    }
}

/// A mapping of name (or `default`) to one kind's settings, shared by `budgets:` and `rate_limits:`.
enum ScopedSection {
    static func decode<Value>(_ value: ConfigValue?, what: String, _ entry: (ConfigValue) throws(ConfigError) -> Value) throws(ConfigError) -> ScopedSettings<Value> {
        var scoped = ScopedSettings<Value>()
        guard let value, !value.node.isNull else { return scoped }
        guard case .mapping(let pairs) = value.node.content else {
            throw value.error("expected a mapping of \(what) (or default) to its settings, got \(value.describe())")
        }
        var seen: Set<String> = []
        for (key, setting) in ConfigMapping(owner: value, pairs: pairs).entries {
            let name = try key.token("a \(what)")
            guard seen.insert(name).inserted else { throw key.error("\"\(name)\" appears twice") }
            let decoded = try entry(setting)
            if name == ScopedSettings<Value>.defaultName { scoped.fallback = decoded } else { scoped.named[name] = decoded }
        }
        return scoped
    }
}
