/// A provider entry's `models:` list: each item a model name (served under its own name) or a
/// one-key mapping `{public-name: upstream-name}` (clients ask for the public name, the
/// upstream receives its own).
enum ModelNames {
    /// The public names in order, and public → upstream for the mapped ones.
    static func decode(_ value: ConfigValue) throws(ConfigError) -> (models: [String], upstream: [String: String]) {
        var models: [String] = []
        var upstream: [String: String] = [:]
        for item in try value.sequence() {
            let name: String
            if case .mapping(let pairs) = item.node.content {
                guard pairs.count == 1, let (key, target) = ConfigMapping(owner: item, pairs: pairs).entries.first else {
                    throw item.error("a mapped model is one key, {public-name: upstream-name}; got \(pairs.count) keys")
                }
                name = try key.token("a public model name")
                if name == "*" { throw key.error("\"*\" cannot be mapped to an upstream name") }
                upstream[name] = try target.token("an upstream model name")
            } else {
                guard case .scalar = item.node.content else {
                    throw item.error("expected a model name or {public-name: upstream-name}, got \(item.describe())")
                }
                name = try item.token("a model name")
            }
            if models.contains(name) { throw item.error("model \"\(name)\" is listed twice") }
            models.append(name)
        }
        if models.isEmpty { throw value.error("list at least one model (\"*\" serves any model)") }
        return (models, upstream)
    }
}
