import SwitchyardCore

/// Decodes `model_groups:`, a mapping from a public model id to its strategy and targets.
enum ModelGroupsSection {
    static let keys = ["strategy", "targets", "rules", "default", "variants", "sticky", "exploration"]
    static let targetKeys = ["provider", "model", "weight"]

    /// A group with the values cross-checks point at.
    struct Draft {
        var group: ModelGroup
        var keyValue: ConfigValue
        /// Every target in `group.allTargets` order, with where its provider and model were written.
        var targetValues: [ConfigValue]
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        guard let value, !value.node.isNull else { return [] }
        guard case .mapping(let pairs) = value.node.content else {
            throw value.error("expected a mapping of group name: {strategy, targets, ...}, got \(value.describe())")
        }
        var drafts: [Draft] = []
        for (key, body) in ConfigMapping(owner: value, pairs: pairs).entries {
            let name = try key.token("a model group name")
            if name == "*" { throw key.error("\"*\" cannot name a model group") }
            drafts.append(try decodeGroup(name, key: key, body: body))
        }
        return drafts
    }

    private static func decodeGroup(_ name: String, key: ConfigValue, body: ConfigValue) throws(ConfigError) -> Draft {
        let fields = try body.mapping(allowedKeys: keys)
        let strategyValue = try fields.required("strategy")
        let written = try strategyValue.string()
        guard let strategy = RoutingStrategy(rawValue: written) else {
            let known = RoutingStrategy.allCases.map(\.rawValue)
            let guess = Suggestion.closest(to: written, in: known).map { " (did you mean \"\($0)\"?)" } ?? ""
            throw strategyValue.error("unknown strategy \"\(written)\"\(guess) (known: \(known.joined(separator: ", ")))")
        }
        try checkKeys(fields, strategy: strategy)
        var group = ModelGroup(name: name, strategy: strategy, location: key.location)
        var values: [ConfigValue] = []
        let weighted = strategy == .weighted
        switch strategy {
        case .single, .fallback, .weighted, .leastLatency, .cost:
            let targetsValue = try fields.required("targets")
            group.targets = try targets(targetsValue, group: name, weighted: weighted, values: &values)
            if group.targets.isEmpty { throw targetsValue.error("list at least one target") }
            if strategy == .single, group.targets.count != 1 {
                throw targetsValue.error("strategy single takes exactly one target (got \(group.targets.count)); use fallback for several")
            }
            if let exploration = fields["exploration"] {
                group.exploration = try exploration.number(in: 0...1, what: "a probability from 0 to 1")
            }
        case .conditional, .content:
            let rulesValue = try fields.required("rules")
            for rule in try rulesValue.sequence() {
                group.rules.append(try RuleSection.decode(rule, conditional: strategy == .conditional, group: name, values: &values))
            }
            if group.rules.isEmpty { throw rulesValue.error("list at least one rule") }
            if let fallback = fields["default"] { group.defaultTargets = try targets(fallback, group: name, weighted: false, values: &values) }
        case .ab:
            let variantsValue = try fields.required("variants")
            group.variants = try variants(variantsValue, group: name, values: &values)
            if let sticky = fields["sticky"] { group.sticky = try stickyKey(sticky) }
        }
        return Draft(group: group, keyValue: key, targetValues: values)
    }

    /// Keys that belong to other strategies are refused (a `rules:` under `weighted` is a mistake).
    private static func checkKeys(_ fields: ConfigMapping, strategy: RoutingStrategy) throws(ConfigError) {
        let allowed: [String]
        switch strategy {
        case .single, .fallback, .weighted, .cost: allowed = ["strategy", "targets"]
        case .leastLatency: allowed = ["strategy", "targets", "exploration"]
        case .conditional, .content: allowed = ["strategy", "rules", "default"]
        case .ab: allowed = ["strategy", "variants", "sticky"]
        }
        for (key, _) in fields.entries where !allowed.contains(key.node.scalarText ?? "") {
            throw key.error("\"\(key.node.scalarText ?? "")\" does not apply to strategy \(strategy.rawValue) (it takes \(allowed.joined(separator: ", ")))")
        }
    }

    /// A list of targets: `{provider: p, model: m, weight: n}` or just the provider's name.
    static func targets(_ value: ConfigValue, group: String, weighted: Bool, values: inout [ConfigValue]) throws(ConfigError) -> [GroupTarget] {
        var targets: [GroupTarget] = []
        for item in try value.sequence() {
            if case .scalar = item.node.content {
                targets.append(GroupTarget(provider: try item.token("a provider name"), model: group))
                values.append(item)
                continue
            }
            let fields = try item.mapping(allowedKeys: targetKeys)
            let provider = try fields.required("provider").token("a provider name")
            let model = try fields["model"].map { v throws(ConfigError) in try v.token("a model name") } ?? group
            var weight = 1
            if let weightValue = fields["weight"] {
                guard weighted else { throw weightValue.error("weight applies to strategy weighted only") }
                weight = try weightValue.integer(in: 1...1_000_000)
            }
            targets.append(GroupTarget(provider: provider, model: model, weight: weight))
            values.append(item)
        }
        return targets
    }

    private static func variants(_ value: ConfigValue, group: String, values: inout [ConfigValue]) throws(ConfigError) -> [GroupVariant] {
        var variants: [GroupVariant] = []
        for item in try value.sequence() {
            let fields = try item.mapping(allowedKeys: ["name", "weight", "targets"])
            let nameValue = try fields.required("name")
            let name = try nameValue.token("a variant name")
            if variants.contains(where: { $0.name == name }) { throw nameValue.error("variant \"\(name)\" is listed twice") }
            let weight = try fields.required("weight").integer(in: 0...1_000_000)
            let targetsValue = try fields.required("targets")
            let targets = try targets(targetsValue, group: group, weighted: false, values: &values)
            if targets.isEmpty { throw targetsValue.error("list at least one target") }
            variants.append(GroupVariant(name: name, weight: weight, targets: targets))
        }
        if variants.isEmpty { throw value.error("list at least one variant") }
        if variants.allSatisfy({ $0.weight == 0 }) { throw value.error("at least one variant needs a weight above 0") }
        return variants
    }

    /// `key` (the client's Authorization / x-api-key) or `header:NAME`.
    private static func stickyKey(_ value: ConfigValue) throws(ConfigError) -> StickyKey {
        let text = try value.token("sticky")
        if text == "key" { return .clientKey }
        if text.hasPrefix("header:"), text.count > "header:".count {
            return .header(String(text.dropFirst("header:".count)).lowercased())
        }
        throw value.error("expected sticky: key or sticky: header:NAME, got \"\(text)\"")
    }
}
