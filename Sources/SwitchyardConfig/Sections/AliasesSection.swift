/// Decodes `aliases:`, a mapping from alias to model (or to another alias).
enum AliasesSection {
    struct Draft {
        var alias: String
        var target: String
        /// The alias key, which errors about the alias point at.
        var keyValue: ConfigValue
        var targetValue: ConfigValue
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        guard let value else { return [] }
        if value.node.isNull { return [] }
        guard case .mapping = value.node.content else {
            throw value.error("expected a mapping of alias: model, got \(value.describe())")
        }
        var drafts: [Draft] = []
        for (key, target) in ConfigMapping(owner: value, pairs: pairs(of: value)).entries {
            let alias = try key.token("an alias")
            if alias == "*" { throw key.error("\"*\" cannot be an alias") }
            drafts.append(Draft(alias: alias, target: try target.token("an alias target"), keyValue: key, targetValue: target))
        }
        return drafts
    }

    private static func pairs(of value: ConfigValue) -> [YAMLNode.Pair] {
        if case .mapping(let pairs) = value.node.content { return pairs }
        return []
    }
}
