/// What `guardrails:` and `enrichers:` decode alike: each entry is an instance of a plugins[]
/// entry, named after it unless `name:` says otherwise, switched on or off by `enabled:`, and
/// unique by name within its section. Each section reads only the rest of its entry.
enum InstanceSection {
    /// The section's entries as its messages call them: "a guardrail", "an enricher".
    struct Kind {
        var noun: String
        var article: String
    }

    /// The part of an entry every instance section has, with the values cross-checks point at.
    struct Head {
        var name: String
        var plugin: String
        var location: SourceLocation
        var enabled = true
        /// The `name:` value, or `plugin:` when the name was left out (and defaults to it).
        var nameValue: ConfigValue
        var nameIsImplicit: Bool
        var pluginValue: ConfigValue
    }

    /// Decodes the list: for each entry the head (`plugin`, `name`), then `rest` reads the
    /// section's own keys, then `enabled`; the order errors in one entry are reported in.
    static func decode<Draft: InstanceDraft>(
        _ value: ConfigValue?,
        kind: Kind,
        keys: [String],
        rest: (Head, ConfigMapping) throws(ConfigError) -> Draft
    ) throws(ConfigError) -> [Draft] {
        guard let value else { return [] }
        var drafts: [Draft] = []
        for item in try value.sequence() {
            if item.node.isNull { throw item.error("expected \(kind.article) \(kind.noun) entry (a mapping with at least plugin), got an empty value") }
            let fields = try item.mapping(allowedKeys: keys)
            var draft = try rest(try decodeHead(item, fields), fields)
            draft.head.enabled = try fields["enabled"].map { v throws(ConfigError) in try v.enabledFlag() } ?? true
            drafts.append(draft)
        }
        try checkUniqueNames(drafts.map(\.head), kind: kind)
        return drafts
    }

    /// A list of distinct items (absent or empty: none, which means "all"), with each item's
    /// value for the cross-section checks.
    static func distinctList(
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

    private static func decodeHead(_ item: ConfigValue, _ fields: ConfigMapping) throws(ConfigError) -> Head {
        let pluginValue = try fields.required("plugin")
        let plugin = try pluginValue.token("a plugin name")
        if let value = fields["name"], !value.node.isNull {
            return Head(
                name: try EntryName.decode(value), plugin: plugin, location: item.location, nameValue: value, nameIsImplicit: false,
                pluginValue: pluginValue)
        }
        return Head(name: plugin, plugin: plugin, location: item.location, nameValue: pluginValue, nameIsImplicit: true, pluginValue: pluginValue)
    }

    /// Like `EntryName.checkUnique`, with a hint when the name was the plugin's by default.
    private static func checkUniqueNames(_ heads: [Head], kind: Kind) throws(ConfigError) {
        var seen: [String: YAMLNode.Mark] = [:]
        for head in heads {
            if let first = seen[head.name] {
                var message = "duplicate \(kind.noun) name \"\(head.name)\" (first used at line \(first.line))"
                if head.nameIsImplicit {
                    message += "; \(kind.article) \(kind.noun)'s name defaults to its plugin: give each entry using plugin \"\(head.name)\" its own name"
                }
                throw head.nameValue.error(message)
            }
            seen[head.name] = head.nameValue.node.mark
        }
    }
}

/// An instance section's entry before disabled ones are dropped: the shared head, and whatever
/// the section adds.
protocol InstanceDraft {
    var head: InstanceSection.Head { get set }
}

extension InstanceDraft {
    var enabled: Bool { head.enabled }
}
