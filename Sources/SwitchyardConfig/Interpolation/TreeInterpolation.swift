/// Applies `Interpolator` to every scalar *value* in a parsed tree (mapping keys are left alone:
/// they are structure, not data).
///
/// A plain scalar stays plain, so after expansion it is resolved as usual: `port: ${PORT:-8080}`
/// is the integer 8080 and `enabled: ${KEY:+true}` is `true` or empty (null).
enum TreeInterpolation {
    static func apply(
        to node: YAMLNode,
        path: String,
        file: String,
        interpolator: Interpolator
    ) throws(ConfigError) -> YAMLNode {
        switch node.content {
        case .scalar(let text, let style):
            do {
                return YAMLNode(.scalar(try interpolator.expand(text), style), mark: node.mark)
            } catch {
                throw ConfigError(error.message, at: SourceLocation(file: file, mark: node.mark), keyPath: path)
            }
        case .sequence(let items):
            var expanded: [YAMLNode] = []
            expanded.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                expanded.append(try apply(to: item, path: ConfigPath.index(path, index), file: file, interpolator: interpolator))
            }
            return YAMLNode(.sequence(expanded), mark: node.mark)
        case .mapping(let pairs):
            var expanded: [YAMLNode.Pair] = []
            expanded.reserveCapacity(pairs.count)
            for pair in pairs {
                let childPath = ConfigPath.child(path, pair.key.scalarText ?? "")
                expanded.append(YAMLNode.Pair(
                    key: pair.key,
                    value: try apply(to: pair.value, path: childPath, file: file, interpolator: interpolator)))
            }
            return YAMLNode(.mapping(expanded), mark: node.mark)
        }
    }
}

/// Builds the key paths used in error messages: `providers[0].plugin`.
enum ConfigPath {
    static func child(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    static func index(_ path: String, _ index: Int) -> String {
        "\(path)[\(index)]"
    }
}
