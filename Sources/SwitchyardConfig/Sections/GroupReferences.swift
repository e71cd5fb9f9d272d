import SwitchyardCore

/// The model groups' checks against providers, aliases and prices, then their targets on
/// disabled providers dropped.
extension CrossValidation {
    static func resolveGroups(
        _ groups: [ModelGroupsSection.Draft],
        providers: [ProvidersSection.Draft],
        aliases: [AliasesSection.Draft],
        pricing: PricingCatalog
    ) throws(ConfigError) -> [ModelGroup] {
        let entries = Dictionary(providers.map { ($0.entry.name, $0) }, uniquingKeysWith: { first, _ in first })
        let served = Dictionary(providers.flatMap { draft in draft.entry.models.map { ($0, draft.entry.name) } }, uniquingKeysWith: { first, _ in first })
        var resolved: [ModelGroup] = []
        for draft in groups {
            let name = draft.group.name
            if let provider = served[name] {
                throw draft.keyValue.error("model group \"\(name)\" has the name of a model provider \"\(provider)\" serves; a public model id is one or the other")
            }
            if let alias = aliases.first(where: { $0.alias == name }) {
                throw draft.keyValue.error("model group \"\(name)\" has the name of an alias (line \(alias.keyValue.location.line))")
            }
            for (target, value) in zip(draft.group.allTargets, draft.targetValues) {
                guard let provider = entries[target.provider] else {
                    let guess = Suggestion.closest(to: target.provider, in: Array(entries.keys)).map { " (did you mean \"\($0)\"?)" } ?? ""
                    throw value.error("unknown provider \"\(target.provider)\"\(guess)")
                }
                guard provider.entry.serves(target.model) else {
                    throw value.error("provider \"\(target.provider)\" does not serve model \"\(target.model)\" (it serves \(provider.entry.models.joined(separator: ", "))); name one of them with model:")
                }
            }
            if draft.group.strategy == .cost {
                let priced = draft.group.targets.contains { target in
                    entries[target.provider].map { pricing.models[$0.entry.upstreamModel(for: target.model)] != nil } ?? false
                }
                if !priced { throw draft.keyValue.error("strategy cost needs a price in pricing.models for at least one target's upstream model") }
            }
            if let group = enabledOnly(draft.group, enabled: Set(providers.filter(\.enabled).map(\.entry.name))) { resolved.append(group) }
        }
        return resolved
    }

    /// The group without targets on disabled providers (rules and variants left with none are
    /// dropped); nil when nothing is left to serve it.
    private static func enabledOnly(_ group: ModelGroup, enabled: Set<String>) -> ModelGroup? {
        var kept = group
        let keep = { (targets: [GroupTarget]) in targets.filter { enabled.contains($0.provider) } }
        kept.targets = keep(group.targets)
        kept.defaultTargets = keep(group.defaultTargets)
        kept.rules = group.rules.map { var rule = $0; rule.targets = keep($0.targets); return rule }.filter { !$0.targets.isEmpty }
        kept.variants = group.variants.map { var variant = $0; variant.targets = keep($0.targets); return variant }.filter { !$0.targets.isEmpty }
        let empty = kept.targets.isEmpty && kept.defaultTargets.isEmpty && kept.rules.isEmpty && kept.variants.isEmpty
        return empty ? nil : kept
    }
}
