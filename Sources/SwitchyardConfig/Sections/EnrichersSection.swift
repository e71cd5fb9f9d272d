/// Decodes `enrichers:`, a list of enricher entries, each naming the plugin entry that implements
/// `switchyard.enricher/1`. References to plugins and providers are checked by `CrossValidation`.
enum EnrichersSection {
    static let keys = ["name", "plugin", "providers", "deadline", "enabled"]
    /// An enricher's hooks run on the event loop, inline with the traffic it observes: a hook
    /// allowed to take longer than this would stall every request on that loop.
    static let maximumDeadline: Duration = .seconds(1)

    /// An entry before disabled ones are dropped, with the values cross-checks point at.
    struct Draft: InstanceDraft {
        var head: InstanceSection.Head
        var entry: EnricherEntry
        var providerValues: [ConfigValue]
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        try InstanceSection.decode(value, kind: .init(noun: "enricher", article: "an"), keys: keys) { head, fields throws(ConfigError) in
            var entry = EnricherEntry(name: head.name, plugin: head.plugin, location: head.location)
            let providerValues: [ConfigValue]
            (entry.providers, providerValues) = try InstanceSection.distinctList(fields["providers"], what: "provider") { v throws(ConfigError) in
                try v.token("a provider name")
            }
            if let value = fields["deadline"] {
                entry.deadline = try value.deadline(
                    atMost: maximumDeadline, limit: "must be at most 1s: an enricher's hooks run on the event loop, inline with the traffic")
            }
            return Draft(head: head, entry: entry, providerValues: providerValues)
        }
    }
}
