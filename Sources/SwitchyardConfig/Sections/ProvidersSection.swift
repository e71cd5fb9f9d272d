/// Decodes `providers:`, a list of provider instances.
enum ProvidersSection {
    static let keys = ["name", "plugin", "models", "enabled"]

    /// An entry before disabled ones are dropped, with the values cross-checks point at.
    struct Draft {
        var entry: ProviderEntry
        var enabled: Bool
        var nameValue: ConfigValue
        var pluginValue: ConfigValue
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        guard let value else { return [] }
        var drafts: [Draft] = []
        for item in try value.sequence() {
            drafts.append(try decodeEntry(item))
        }
        try EntryName.checkUnique(drafts.map { ($0.entry.name, $0.nameValue) }, kind: "provider")
        return drafts
    }

    private static func decodeEntry(_ item: ConfigValue) throws(ConfigError) -> Draft {
        if item.node.isNull {
            throw item.error("expected a provider entry (a mapping with name, plugin and models), got an empty value")
        }
        let fields = try item.mapping(allowedKeys: keys)
        let nameValue = try fields.required("name")
        let name = try EntryName.decode(nameValue)
        let pluginValue = try fields.required("plugin")
        let plugin = try pluginValue.string()
        let modelsValue = try fields.required("models")
        var models: [String] = []
        for model in try modelsValue.sequence() {
            let text = try model.token("a model name")
            if models.contains(text) { throw model.error("model \"\(text)\" is listed twice") }
            models.append(text)
        }
        if models.isEmpty { throw modelsValue.error("list at least one model (\"*\" serves any model)") }
        let enabled = try fields["enabled"].map { v throws(ConfigError) in try v.enabledFlag() } ?? true
        let entry = ProviderEntry(name: name, plugin: plugin, models: models, location: item.location)
        return Draft(entry: entry, enabled: enabled, nameValue: nameValue, pluginValue: pluginValue)
    }
}
