import SwitchyardCore

/// Checks that need more than one section, then drops disabled entries.
///
/// References are checked against *all* entries, enabled or not, so that a typo is caught even in
/// an entry that happens to be switched off today.
enum CrossValidation {
    struct Result {
        var plugins: [PluginEntry]
        var providers: [ProviderEntry]
        var aliases: [String: String]
        var guardrails: [GuardrailEntry]
        var enrichers: [EnricherEntry]
        var batchPreparers: [BatchPreparerEntry]
        var modelGroups: [ModelGroup] = []
    }

    static func resolve(
        plugins: [PluginsSection.Draft],
        providers: [ProvidersSection.Draft],
        aliases: [AliasesSection.Draft],
        guardrails: [GuardrailsSection.Draft],
        enrichers: [EnrichersSection.Draft] = [],
        batchPreparers: [BatchPreparersSection.Draft] = [],
        modelGroups: [ModelGroupsSection.Draft] = [],
        pricing: PricingCatalog = PricingCatalog()
    ) throws(ConfigError) -> Result {
        for provider in providers {
            try checkPluginReference(provider.entry.plugin, at: provider.pluginValue, user: "provider", enabled: provider.enabled, plugins: plugins)
        }
        for guardrail in guardrails {
            try checkGuardrailReferences(guardrail, plugins: plugins, providers: providers, aliases: aliases, groups: modelGroups.map(\.group.name))
        }
        for enricher in enrichers {
            try checkInstanceReferences(
                enricher.head, user: "enricher", providerNames: enricher.entry.providers, providerValues: enricher.providerValues,
                plugins: plugins, providers: providers)
        }
        for preparer in batchPreparers {
            try checkInstanceReferences(
                preparer.head, user: "batch preparer", providerNames: preparer.entry.providers, providerValues: preparer.providerValues,
                plugins: plugins, providers: providers)
        }
        let enabledProviders = providers.filter(\.enabled).map(\.entry)
        let groups = try resolveGroups(modelGroups, providers: providers, aliases: aliases, pricing: pricing)
        var result = Result(
            plugins: plugins.filter(\.enabled).map(\.entry),
            providers: enabledProviders,
            aliases: try resolveAliases(
                aliases, allProviders: providers.map(\.entry), enabledProviders: enabledProviders,
                groups: (all: Set(modelGroups.map(\.group.name)), enabled: Set(groups.map(\.name)))),
            guardrails: guardrails.filter(\.enabled).map(\.entry),
            enrichers: enrichers.filter(\.enabled).map(\.entry),
            batchPreparers: batchPreparers.filter(\.enabled).map(\.entry))
        result.modelGroups = groups
        return result
    }

    /// `name` (written at `value`) names a plugin entry; an enabled `user` (provider, guardrail, enricher)
    /// needs it enabled.
    static func checkPluginReference(
        _ name: String,
        at value: ConfigValue,
        user: String,
        enabled: Bool,
        plugins: [PluginsSection.Draft]
    ) throws(ConfigError) {
        guard let plugin = plugins.first(where: { $0.entry.name == name }) else {
            let known = plugins.isEmpty ? "no plugins are configured" : "known: " + plugins.map(\.entry.name).joined(separator: ", ")
            throw value.error("unknown plugin \"\(name)\" (\(known))")
        }
        if enabled && !plugin.enabled {
            throw value.error(
                "plugin \"\(name)\" is disabled (line \(plugin.entry.location.line)); disable this \(user) too or enable the plugin")
        }
    }

    /// Follows each alias to its model. Every target must be an alias, a model group or a model some provider
    /// lists (or a provider lists `"*"`); cycles are errors. Aliases whose model no *enabled*
    /// provider serves are dropped, like the disabled providers themselves.
    private static func resolveAliases(
        _ aliases: [AliasesSection.Draft],
        allProviders: [ProviderEntry],
        enabledProviders: [ProviderEntry],
        groups: (all: Set<String>, enabled: Set<String>) = ([], [])
    ) throws(ConfigError) -> [String: String] {
        let byName = Dictionary(aliases.map { ($0.alias, $0) }, uniquingKeysWith: { first, _ in first })
        let anyModel = allProviders.contains { $0.models.contains("*") }
        let known = Set(allProviders.flatMap(\.models)).union(groups.all)
        var resolved: [String: String] = [:]
        for alias in aliases {
            var chain = [alias.alias]
            var current = alias
            while let next = byName[current.target] {
                if let start = chain.firstIndex(of: next.alias) {
                    let cycle = (chain[start...] + [next.alias]).joined(separator: " -> ")
                    throw alias.keyValue.error("alias cycle: \(cycle)")
                }
                chain.append(next.alias)
                current = next
            }
            let model = current.target
            guard anyModel || known.contains(model) else {
                var message = "alias target \"\(model)\" is neither a model of any provider nor an alias"
                if let guess = Suggestion.closest(to: model, in: Array(known) + Array(byName.keys)) {
                    message += " (did you mean \"\(guess)\"?)"
                }
                throw current.targetValue.error(message)
            }
            if enabledProviders.contains(where: { $0.serves(model) }) || groups.enabled.contains(model) { resolved[alias.alias] = model }
        }
        return resolved
    }
}
