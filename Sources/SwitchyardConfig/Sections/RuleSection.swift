/// One rule of a `conditional` or `content` model group.
enum RuleSection {
    static let conditionalKeys = ["when", "targets"]
    static let contentKeys = ["regex", "keywords", "targets"]
    static let conditionKeys = ["header", "field", "metadata"]

    static func decode(_ value: ConfigValue, conditional: Bool, group: String, values: inout [ConfigValue]) throws(ConfigError) -> GroupRule {
        let fields = try value.mapping(allowedKeys: conditional ? conditionalKeys : contentKeys)
        let targetsValue = try fields.required("targets")
        var rule = GroupRule(targets: [])
        if conditional {
            let when = try fields.required("when")
            let conditions = try when.mapping(allowedKeys: conditionKeys)
            if let headers = conditions["header"] {
                for (key, expected) in try pairs(headers) {
                    rule.headers.append((try key.token("a header name").lowercased(), try expected.string()))
                }
            }
            if let field = conditions["field"] {
                for (key, expected) in try pairs(field) { rule.fields.append((try key.token("a field name"), try expected.scalarCondition())) }
            }
            if let metadata = conditions["metadata"] {
                for (key, expected) in try pairs(metadata) { rule.metadata.append((try key.token("a metadata key"), try expected.scalarCondition())) }
            }
            if rule.headers.isEmpty && rule.fields.isEmpty && rule.metadata.isEmpty {
                throw when.error("a rule needs at least one condition (header, field or metadata)")
            }
        } else {
            if let regex = fields["regex"] {
                let source = try regex.string()
                do { rule.pattern = try ContentPattern(source) } catch {
                    throw regex.error("invalid regex at byte \(error.offset): \(error.message)")
                }
            }
            if let keywords = fields["keywords"] {
                for keyword in try keywords.sequence() {
                    let text = try keyword.string()
                    if text.isEmpty { throw keyword.error("a keyword must not be empty") }
                    rule.keywords.append(text)
                }
            }
            if rule.pattern == nil && rule.keywords.isEmpty { throw value.error("a content rule needs a regex or keywords") }
        }
        rule.targets = try ModelGroupsSection.targets(targetsValue, group: group, weighted: false, values: &values)
        if rule.targets.isEmpty { throw targetsValue.error("list at least one target") }
        return rule
    }

    /// A mapping's pairs; an empty mapping is an error (a condition that says nothing).
    private static func pairs(_ value: ConfigValue) throws(ConfigError) -> [(key: ConfigValue, value: ConfigValue)] {
        guard case .mapping(let pairs) = value.node.content, !pairs.isEmpty else {
            throw value.error("expected a mapping of name: value, got \(value.describe())")
        }
        return ConfigMapping(owner: value, pairs: pairs).entries
    }
}
