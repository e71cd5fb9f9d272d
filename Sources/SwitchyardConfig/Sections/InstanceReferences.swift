import SwitchyardCore

/// The checks of a `guardrails:` or `enrichers:` entry that need the other sections: its plugin
/// and the providers it applies to. Names are looked up among *all* entries (a typo in a disabled
/// entry is still an error); an enabled entry must not refer to a disabled plugin or provider.
/// Whether the plugin implements the section's interface is known only once it is loaded: the
/// gateway checks that.
extension CrossValidation {
    /// `user` names the entry's kind in messages ("guardrail", "enricher"); `providerNames` were
    /// written at `providerValues`.
    static func checkInstanceReferences(
        _ head: InstanceSection.Head,
        user: String,
        providerNames: [String],
        providerValues: [ConfigValue],
        plugins: [PluginsSection.Draft],
        providers: [ProvidersSection.Draft]
    ) throws(ConfigError) {
        try checkPluginReference(head.plugin, at: head.pluginValue, user: user, enabled: head.enabled, plugins: plugins)
        for (name, value) in zip(providerNames, providerValues) {
            guard let provider = providers.first(where: { $0.entry.name == name }) else {
                let known = knownNames(providers.map(\.entry.name), near: name, none: "no providers are configured")
                throw value.error("unknown provider \"\(name)\" (\(known))")
            }
            if head.enabled && !provider.enabled {
                throw value.error(
                    "provider \"\(name)\" is disabled (line \(provider.entry.location.line)); disable this \(user) too or enable the provider")
            }
        }
    }

    static func knownNames(_ names: [String], near name: String, none: String) -> String {
        if names.isEmpty { return none }
        let known = "known: " + names.joined(separator: ", ")
        guard let guess = Suggestion.closest(to: name, in: names) else { return known }
        return "did you mean \"\(guess)\"? " + known
    }
}
