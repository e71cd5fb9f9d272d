/// Decodes `enrichers:`, a list of enricher entries, each naming the plugin entry that implements
/// `switchyard.enricher/1`. References to plugins and providers are checked by `CrossValidation`.
enum EnrichersSection {
    static let keys = ["name", "plugin", "providers", "deadline", "enabled"]
    /// An enricher's hooks run on the event loop, inline with the traffic it observes: a hook
    /// allowed to take longer than this would stall every request on that loop.
    static let maximumDeadline: Duration = .seconds(1)

    /// An entry before disabled ones are dropped, with the values cross-checks point at.
    struct Draft {
        var entry: EnricherEntry
        var enabled: Bool
        /// The `name:` value, or `plugin:` when the name was left out (and defaults to it).
        var nameValue: ConfigValue
        var nameIsImplicit: Bool
        var pluginValue: ConfigValue
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
        if item.node.isNull { throw item.error("expected an enricher entry (a mapping with at least plugin), got an empty value") }
        let fields = try item.mapping(allowedKeys: keys)
        let pluginValue = try fields.required("plugin")
        var entry = EnricherEntry(plugin: try pluginValue.token("a plugin name"), location: item.location)
        var nameValue = pluginValue
        var nameIsImplicit = true
        if let value = fields["name"], !value.node.isNull {
            entry.name = try EntryName.decode(value)
            nameValue = value
            nameIsImplicit = false
        }
        var providerValues: [ConfigValue] = []
        if let list = fields["providers"] {
            for item in try list.sequence() {
                let provider = try item.token("a provider name")
                if entry.providers.contains(provider) { throw item.error("provider \"\(provider)\" is listed twice") }
                entry.providers.append(provider)
                providerValues.append(item)
            }
        }
        if let value = fields["deadline"] {
            entry.deadline = try value.deadline(
                atMost: maximumDeadline, limit: "must be at most 1s: an enricher's hooks run on the event loop, inline with the traffic")
        }
        let enabled = try fields["enabled"].map { v throws(ConfigError) in try v.enabledFlag() } ?? true
        return Draft(
            entry: entry, enabled: enabled, nameValue: nameValue, nameIsImplicit: nameIsImplicit, pluginValue: pluginValue,
            providerValues: providerValues)
    }

    /// Like `EntryName.checkUnique`, with a hint when the name was the plugin's by default.
    private static func checkUniqueNames(_ drafts: [Draft]) throws(ConfigError) {
        var seen: [String: YAMLNode.Mark] = [:]
        for draft in drafts {
            let name = draft.entry.name
            if let first = seen[name] {
                var message = "duplicate enricher name \"\(name)\" (first used at line \(first.line))"
                if draft.nameIsImplicit {
                    message += "; an enricher's name defaults to its plugin: give each entry using plugin \"\(name)\" its own name"
                }
                throw draft.nameValue.error(message)
            }
            seen[name] = draft.nameValue.node.mark
        }
    }
}
