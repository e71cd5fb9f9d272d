/// Decodes `providers:`, a list of provider instances.
enum ProvidersSection {
    static let keys = ["name", "plugin", "models", "enabled", "timeouts", "passthrough", "breaker", "retry"]
    static let passthroughKeys = ["enabled", "allow", "deny"]
    static let timeoutKeys = ["connect", "first_byte", "idle", "total"]

    /// An entry before disabled ones are dropped, with the values cross-checks point at.
    struct Draft {
        var entry: ProviderEntry
        var enabled: Bool
        var nameValue: ConfigValue
        var pluginValue: ConfigValue
    }

    /// `timeouts` are the server-wide ones, which each entry's `timeouts:` overrides.
    static func decode(_ value: ConfigValue?, timeouts: UpstreamTimeouts = UpstreamTimeouts()) throws(ConfigError) -> [Draft] {
        guard let value else { return [] }
        var drafts: [Draft] = []
        for item in try value.sequence() {
            drafts.append(try decodeEntry(item, timeouts: timeouts))
        }
        try EntryName.checkUnique(drafts.map { ($0.entry.name, $0.nameValue) }, kind: "provider")
        return drafts
    }

    private static func decodeEntry(_ item: ConfigValue, timeouts defaults: UpstreamTimeouts) throws(ConfigError) -> Draft {
        if item.node.isNull {
            throw item.error("expected a provider entry (a mapping with name, plugin and models), got an empty value")
        }
        let fields = try item.mapping(allowedKeys: keys)
        let nameValue = try fields.required("name")
        let name = try EntryName.decode(nameValue)
        let pluginValue = try fields.required("plugin")
        let plugin = try pluginValue.string()
        let modelsValue = try fields.required("models")
        let (models, upstreamModels) = try ModelNames.decode(modelsValue)
        let enabled = try fields["enabled"].map { v throws(ConfigError) in try v.enabledFlag() } ?? true
        let timeouts = try fields["timeouts"].map { v throws(ConfigError) in try decodeTimeouts(v, defaults: defaults) } ?? defaults
        let passthrough = try fields["passthrough"].flatMap { v throws(ConfigError) in try decodePassthrough(v) }
        let breaker = try fields["breaker"].map { v throws(ConfigError) in try BreakerSection.decode(v) } ?? BreakerSettings()
        let retry = try fields["retry"].flatMap { v throws(ConfigError) in try RetrySection.decode(v) }
        let entry = ProviderEntry(
            name: name, plugin: plugin, models: models, location: item.location, timeouts: timeouts, passthrough: passthrough,
            upstreamModels: upstreamModels, breaker: breaker, retry: retry)
        return Draft(entry: entry, enabled: enabled, nameValue: nameValue, pluginValue: pluginValue)
    }

    /// `timeouts: {connect: 2s, first_byte: 60s, idle: 30s, total: 0}`: each key optional, 0
    /// turns a timeout off (not `connect`, which must stay > 0).
    private static func decodeTimeouts(_ value: ConfigValue, defaults: UpstreamTimeouts) throws(ConfigError) -> UpstreamTimeouts {
        let fields = try value.mapping(allowedKeys: timeoutKeys)
        var timeouts = defaults
        if let connect = fields["connect"] { timeouts.connect = try ServerSection.positive(connect) }
        if let firstByte = fields["first_byte"] { timeouts.firstByte = try firstByte.duration() }
        if let idle = fields["idle"] { timeouts.idle = try idle.duration() }
        if let total = fields["total"] { timeouts.total = try total.duration() }
        return timeouts
    }

    /// `passthrough: true` (every path), `false` / empty (off), or
    /// `{enabled: true, allow: ["/v1/"], deny: ["/v1/files"]}` (`enabled` defaults to true).
    private static func decodePassthrough(_ value: ConfigValue) throws(ConfigError) -> PassthroughPolicy? {
        guard case .mapping = value.node.content else {
            return try value.enabledFlag() ? PassthroughPolicy() : nil
        }
        let fields = try value.mapping(allowedKeys: passthroughKeys)
        if let enabled = fields["enabled"], try !enabled.enabledFlag() { return nil }
        return PassthroughPolicy(allow: try prefixes(fields["allow"]), deny: try prefixes(fields["deny"]))
    }

    /// Path prefixes: each starts with "/" and carries no query, space or control character.
    private static func prefixes(_ value: ConfigValue?) throws(ConfigError) -> [String] {
        guard let value else { return [] }
        var prefixes: [String] = []
        for item in try value.sequence() {
            let text = try item.token("a path prefix")
            guard text.hasPrefix("/") else { throw item.error("a path prefix starts with \"/\" (the path after /p/{provider}), got \"\(text)\"") }
            guard !text.contains("?") else { throw item.error("a path prefix has no query (\"?\"): prefixes match the path only") }
            prefixes.append(text)
        }
        return prefixes
    }
}
