/// Decodes `batch_preparers:`, a list of batch preparer entries in run order, each naming the
/// plugin entry that implements `switchyard.batch/1`. References to plugins and providers are
/// checked by `CrossValidation`.
///
/// Absent, the built-in preparer runs for every batch (`builtIn`); `batch_preparers: []` runs
/// none.
enum BatchPreparersSection {
    static let keys = ["name", "plugin", "providers", "enabled"]

    struct Draft: InstanceDraft {
        var head: InstanceSection.Head
        var entry: BatchPreparerEntry
        var providerValues: [ConfigValue]
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        try InstanceSection.decode(value, kind: .init(noun: "batch preparer", article: "a"), keys: keys) { head, fields throws(ConfigError) in
            var entry = BatchPreparerEntry(name: head.name, plugin: head.plugin, location: head.location)
            let providerValues: [ConfigValue]
            (entry.providers, providerValues) = try InstanceSection.distinctList(fields["providers"], what: "provider") { v throws(ConfigError) in
                try v.token("a provider name")
            }
            return Draft(head: head, entry: entry, providerValues: providerValues)
        }
    }

    /// The built-in preparer when the section is absent: its plugin entry (the bundled library in
    /// `SWITCHYARD_PLUGIN_DIR`, unless `plugins:` has an entry of that name already, which then
    /// serves) and its preparer entry. None when `SWITCHYARD_PLUGIN_DIR` is not set: there is no
    /// bundle to find it in (an embedding program that configures in code).
    static func builtIn(pluginDirectory: String?, plugins: [PluginEntry], sourceName: String) -> (PluginEntry?, BatchPreparerEntry)? {
        let entry = BatchPreparerEntry(name: BatchPreparerEntry.builtInName, plugin: BatchPreparerEntry.builtInPlugin, location: .wholeFile(sourceName))
        if plugins.contains(where: { $0.name == BatchPreparerEntry.builtInPlugin }) { return (nil, entry) }
        guard let directory = pluginDirectory, !directory.isEmpty else { return nil }
        let path = directory.hasSuffix("/") ? directory + BatchPreparerEntry.builtInLibrary : directory + "/" + BatchPreparerEntry.builtInLibrary
        return (PluginEntry(name: BatchPreparerEntry.builtInPlugin, path: path, location: .wholeFile(sourceName)), entry)
    }
}
