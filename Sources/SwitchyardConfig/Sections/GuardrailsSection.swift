/// Decodes `guardrails:`, a list of guardrail entries, each naming the plugin entry that
/// implements it. References to plugins and providers are checked by `CrossValidation`.
enum GuardrailsSection {
    static let keys = ["name", "plugin", "phases", "applies_to", "order", "on_error", "deadline", "enabled"]
    static let scopeKeys = ["models", "providers", "routes"]
    /// A guardrail holds its request (or its stream) while it runs; longer than this is a mistake.
    static let maximumDeadline: Duration = .seconds(600)

    /// An entry before disabled ones are dropped, with the values cross-checks point at.
    struct Draft {
        var entry: GuardrailEntry
        var enabled: Bool
        /// The `name:` value, or `plugin:` when the name was left out (and defaults to it).
        var nameValue: ConfigValue
        var nameIsImplicit: Bool
        var pluginValue: ConfigValue
        var modelValues: [ConfigValue]
        var providerValues: [ConfigValue]
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        guard let value else { return [] }
        var drafts: [Draft] = []
        for item in try value.sequence() {
            drafts.append(try decodeEntry(item))
        }
        try checkUniqueNames(drafts)
        return drafts
    }

    private static func decodeEntry(_ item: ConfigValue) throws(ConfigError) -> Draft {
        if item.node.isNull { throw item.error("expected a guardrail entry (a mapping with at least plugin), got an empty value") }
        let fields = try item.mapping(allowedKeys: keys)
        let pluginValue = try fields.required("plugin")
        var entry = GuardrailEntry(plugin: try pluginValue.token("a plugin name"), location: item.location)
        var nameValue = pluginValue
        var nameIsImplicit = true
        if let value = fields["name"], !value.node.isNull {
            entry.name = try EntryName.decode(value)
            nameValue = value
            nameIsImplicit = false
        }
        if let value = fields["phases"], !value.node.isNull { entry.phases = try decodePhases(value) }
        var models: [ConfigValue] = []
        var providers: [ConfigValue] = []
        if let scope = fields["applies_to"] {
            let scopeFields = try scope.mapping(allowedKeys: scopeKeys)
            (entry.models, models) = try decodeList(scopeFields["models"], what: "model") { v throws(ConfigError) in try v.token("a model name") }
            (entry.providers, providers) = try decodeList(scopeFields["providers"], what: "provider") { v throws(ConfigError) in
                try v.token("a provider name")
            }
            (entry.routes, _) = try decodeList(scopeFields["routes"], what: "route", item: GuardrailVocabulary.route)
        }
        if let value = fields["order"] { entry.order = try value.integer(in: -1_000_000...1_000_000) }
        if let value = fields["on_error"] { entry.failOpen = try GuardrailVocabulary.failOpen(value) }
        if let value = fields["deadline"] {
            entry.deadline = try value.deadline(atMost: maximumDeadline, limit: "must be at most 10m: the request waits while a guardrail runs")
        }
        let enabled = try fields["enabled"].map { v throws(ConfigError) in try v.enabledFlag() } ?? true
        return Draft(
            entry: entry, enabled: enabled, nameValue: nameValue, nameIsImplicit: nameIsImplicit, pluginValue: pluginValue,
            modelValues: models, providerValues: providers)
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

    /// A list of distinct items (absent or empty: none, which means "all"), with each item's
    /// value for the cross-section checks.
    private static func decodeList(
        _ value: ConfigValue?,
        what: String,
        item decodeItem: (ConfigValue) throws(ConfigError) -> String
    ) throws(ConfigError) -> ([String], [ConfigValue]) {
        guard let value else { return ([], []) }
        var texts: [String] = []
        var values: [ConfigValue] = []
        for item in try value.sequence() {
            let text = try decodeItem(item)
            if texts.contains(text) { throw item.error("\(what) \"\(text)\" is listed twice") }
            texts.append(text)
            values.append(item)
        }
        return (texts, values)
    }

    /// Like `EntryName.checkUnique`, with a hint when the name was the plugin's by default.
    private static func checkUniqueNames(_ drafts: [Draft]) throws(ConfigError) {
        var seen: [String: YAMLNode.Mark] = [:]
        for draft in drafts {
            let name = draft.entry.name
            if let first = seen[name] {
                var message = "duplicate guardrail name \"\(name)\" (first used at line \(first.line))"
                if draft.nameIsImplicit {
                    message += "; a guardrail's name defaults to its plugin: give each entry using plugin \"\(name)\" its own name"
                }
                throw draft.nameValue.error(message)
            }
            seen[name] = draft.nameValue.node.mark
        }
    }
}
