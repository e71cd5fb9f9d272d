import SwitchyardCore

/// The checks of a `guardrails:` entry that need the other sections: its plugin, the providers
/// and models of its `applies_to`. Like the providers' checks, names are looked up among *all*
/// entries (a typo in a disabled guardrail is still an error); an enabled guardrail must not
/// refer to a disabled plugin or provider. Whether the plugin implements switchyard.guardrail/1
/// is known only once it is loaded: the gateway checks that.
extension CrossValidation {
    static func checkGuardrailReferences(
        _ guardrail: GuardrailsSection.Draft,
        plugins: [PluginsSection.Draft],
        providers: [ProvidersSection.Draft],
        aliases: [AliasesSection.Draft]
    ) throws(ConfigError) {
        try checkPluginReference(guardrail.entry.plugin, at: guardrail.pluginValue, user: "guardrail", enabled: guardrail.enabled, plugins: plugins)
        for (name, value) in zip(guardrail.entry.providers, guardrail.providerValues) {
            guard let provider = providers.first(where: { $0.entry.name == name }) else {
                let known = knownNames(providers.map(\.entry.name), near: name, none: "no providers are configured")
                throw value.error("unknown provider \"\(name)\" (\(known))")
            }
            if guardrail.enabled && !provider.enabled {
                throw value.error(
                    "provider \"\(name)\" is disabled (line \(provider.entry.location.line)); disable this guardrail too or enable the provider")
            }
        }
        try checkModels(guardrail, providers: providers.map(\.entry), aliases: aliases)
    }

    /// A model in `applies_to.models` must be one a client can ask for: a model some provider
    /// lists, or an alias (anything at all when a provider serves `"*"`). A name nothing serves
    /// would silently never match, leaving the traffic it was meant for unguarded.
    private static func checkModels(
        _ guardrail: GuardrailsSection.Draft,
        providers: [ProviderEntry],
        aliases: [AliasesSection.Draft]
    ) throws(ConfigError) {
        if providers.contains(where: { $0.models.contains("*") }) { return }
        var known = Set(providers.flatMap(\.models))
        known.formUnion(aliases.map(\.alias))
        for (model, value) in zip(guardrail.entry.models, guardrail.modelValues) where !known.contains(model) {
            var message = "model \"\(model)\" is neither a model of any provider nor an alias"
            if let guess = Suggestion.closest(to: model, in: known.sorted()) { message += " (did you mean \"\(guess)\"?)" }
            throw value.error(message)
        }
    }

    static func knownNames(_ names: [String], near name: String, none: String) -> String {
        if names.isEmpty { return none }
        let known = "known: " + names.joined(separator: ", ")
        guard let guess = Suggestion.closest(to: name, in: names) else { return known }
        return "did you mean \"\(guess)\"? " + known
    }
}
