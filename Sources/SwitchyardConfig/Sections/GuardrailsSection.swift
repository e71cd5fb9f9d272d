/// Decodes `guardrails:`, a list of guardrail entries, each naming the plugin entry that
/// implements it. References to plugins and providers are checked by `CrossValidation`.
enum GuardrailsSection {
    static let keys = ["name", "plugin", "phases", "applies_to", "order", "on_error", "deadline", "enabled"]
    static let scopeKeys = ["models", "providers", "routes"]
    /// A guardrail holds its request (or its stream) while it runs; longer than this is a mistake.
    static let maximumDeadline: Duration = .seconds(600)

    /// An entry before disabled ones are dropped, with the values cross-checks point at.
    struct Draft: InstanceDraft {
        var head: InstanceSection.Head
        var entry: GuardrailEntry
        var modelValues: [ConfigValue]
        var providerValues: [ConfigValue]
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        try InstanceSection.decode(value, kind: .init(noun: "guardrail", article: "a"), keys: keys, rest: decodeRest)
    }

    private static func decodeRest(_ head: InstanceSection.Head, _ fields: ConfigMapping) throws(ConfigError) -> Draft {
        var entry = GuardrailEntry(name: head.name, plugin: head.plugin, location: head.location)
        if let value = fields["phases"], !value.node.isNull { entry.phases = try decodePhases(value) }
        var models: [ConfigValue] = []
        var providers: [ConfigValue] = []
        if let scope = fields["applies_to"] {
            let scopeFields = try scope.mapping(allowedKeys: scopeKeys)
            (entry.models, models) = try InstanceSection.distinctList(scopeFields["models"], what: "model") { v throws(ConfigError) in
                try v.token("a model name")
            }
            (entry.providers, providers) = try InstanceSection.distinctList(scopeFields["providers"], what: "provider") { v throws(ConfigError) in
                try v.token("a provider name")
            }
            (entry.routes, _) = try InstanceSection.distinctList(scopeFields["routes"], what: "route", item: GuardrailVocabulary.route)
        }
        if let value = fields["order"] { entry.order = try value.integer(in: -1_000_000...1_000_000) }
        if let value = fields["on_error"] { entry.failOpen = try GuardrailVocabulary.failOpen(value) }
        if let value = fields["deadline"] {
            entry.deadline = try value.deadline(atMost: maximumDeadline, limit: "must be at most 10m: the request waits while a guardrail runs")
        }
        return Draft(head: head, entry: entry, modelValues: models, providerValues: providers)
    }

    /// A non-empty list of phase names, as SY_PHASE_* bits.
    private static func decodePhases(_ value: ConfigValue) throws(ConfigError) -> UInt32 {
        var bits: UInt32 = 0
        let items = try value.sequence()
        if items.isEmpty {
            throw value.error("list at least one phase (request, response, stream), or leave phases out for every phase the plugin declares")
        }
        for item in items {
            let phase = try GuardrailVocabulary.phaseBit(item)
            if bits & phase.bit != 0 { throw item.error("phase \"\(phase.name)\" is listed twice") }
            bits |= phase.bit
        }
        return bits
    }
}
