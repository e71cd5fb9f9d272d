import SwitchyardCore

/// The guardrail checks beyond `checkInstanceReferences`: the models of its `applies_to`.
extension CrossValidation {
    static func checkGuardrailReferences(
        _ guardrail: GuardrailsSection.Draft,
        plugins: [PluginsSection.Draft],
        providers: [ProvidersSection.Draft],
        aliases: [AliasesSection.Draft],
        groups: [String] = []
    ) throws(ConfigError) {
        try checkInstanceReferences(
            guardrail.head, user: "guardrail", providerNames: guardrail.entry.providers, providerValues: guardrail.providerValues,
            plugins: plugins, providers: providers)
        try checkModels(guardrail, providers: providers.map(\.entry), aliases: aliases, groups: groups)
    }

    /// A model in `applies_to.models` must be one a client can ask for: a model some provider
    /// lists, a model group, or an alias (anything at all when a provider serves `"*"`). A name nothing serves
    /// would silently never match, leaving the traffic it was meant for unguarded.
    private static func checkModels(
        _ guardrail: GuardrailsSection.Draft,
        providers: [ProviderEntry],
        aliases: [AliasesSection.Draft],
        groups: [String]
    ) throws(ConfigError) {
        if providers.contains(where: { $0.models.contains("*") }) { return }
        var known = Set(providers.flatMap(\.models))
        known.formUnion(aliases.map(\.alias))
        known.formUnion(groups)
        for (model, value) in zip(guardrail.entry.models, guardrail.modelValues) where !known.contains(model) {
            var message = "model \"\(model)\" is neither a model of any provider nor an alias"
            if let guess = Suggestion.closest(to: model, in: known.sorted()) { message += " (did you mean \"\(guess)\"?)" }
            throw value.error(message)
        }
    }
}
