import SwitchyardCore

/// One value of the interpolated tree with its key path: typed accessors whose errors name the
/// file:line:column and the path. Used only while decoding, on the loading thread.
struct ConfigValue {
    let node: YAMLNode
    let path: String
    let file: String

    var location: SourceLocation { SourceLocation(file: file, mark: node.mark) }

    func error(_ message: String) -> ConfigError {
        ConfigError(message, at: location, keyPath: path)
    }

    /// A mapping whose keys must all be in `allowedKeys` (an unknown key suggests the closest).
    /// Null (an empty section) reads as an empty mapping.
    func mapping(allowedKeys: [String]) throws(ConfigError) -> ConfigMapping {
        if node.isNull { return ConfigMapping(owner: self, pairs: []) }
        guard case .mapping(let pairs) = node.content else { throw error("expected a mapping, got \(describe())") }
        for pair in pairs {
            let key = pair.key.scalarText ?? ""
            guard !allowedKeys.contains(key) else { continue }
            let keyError = ConfigValue(node: pair.key, path: ConfigPath.child(path, key), file: file)
            if let guess = Suggestion.closest(to: key, in: allowedKeys) {
                throw keyError.error("unknown key (did you mean \"\(guess)\"?)")
            }
            throw keyError.error("unknown key (known keys: \(allowedKeys.joined(separator: ", ")))")
        }
        return ConfigMapping(owner: self, pairs: pairs)
    }

    /// The items of a list; null (an empty value) reads as an empty list.
    func sequence() throws(ConfigError) -> [ConfigValue] {
        if node.isNull { return [] }
        guard case .sequence(let items) = node.content else { throw error("expected a list, got \(describe())") }
        return items.enumerated().map { ConfigValue(node: $1, path: ConfigPath.index(path, $0), file: file) }
    }

    /// Any non-null scalar, as written (plain `123` is the string "123" here).
    func string() throws(ConfigError) -> String {
        guard case .scalar(let text, _) = node.content, !node.isNull else {
            throw error("expected a string, got \(describe())")
        }
        return text
    }

    /// A non-empty string without whitespace or control characters (names, models, hosts).
    func token(_ what: String) throws(ConfigError) -> String {
        let text = try string()
        if text.isEmpty { throw error("\(what) must not be empty") }
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            throw error("\(what) must not contain spaces or control characters, got \"\(text)\"")
        }
        return text
    }

    func integer(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let expected = "expected an integer from \(range.lowerBound) to \(range.upperBound)"
        guard case .scalar(let text, .plain) = node.content, case .integer(let digits) = ScalarResolution.resolve(text)
        else { throw error("\(expected), got \(describe())") }
        guard let value = Int(digits), range.contains(value) else {
            throw error("\(text) is out of range (\(range.lowerBound) to \(range.upperBound))")
        }
        return value
    }

    /// `true` or `false`; an empty value (null) is `false` so that `${VAR:+true}` can switch a
    /// feature on only when VAR is set.
    func enabledFlag() throws(ConfigError) -> Bool {
        if node.isNull { return false }
        guard case .scalar(let text, .plain) = node.content, case .bool(let value) = ScalarResolution.resolve(text)
        else { throw error("expected true or false (an empty value means false), got \(describe())") }
        return value
    }

    func duration() throws(ConfigError) -> Duration {
        guard case .scalar(let text, _) = node.content, !node.isNull, let value = DurationText.parse(text) else {
            throw error("expected a duration such as 250ms, 10s, 2m or 1h (a plain number is seconds), got \(describe())")
        }
        return value
    }

    /// A positive size: an integer, or a whole number with a unit (see `ByteSizeText`).
    func byteSize(allowingZero: Bool = false) throws(ConfigError) -> Int {
        guard case .scalar(let text, _) = node.content, !node.isNull, let value = ByteSizeText.parse(text) else {
            throw error("expected a size in bytes such as 33554432, 512KiB or 32MiB, got \(describe())")
        }
        guard value > 0 || (allowingZero && value == 0) else { throw error("must be greater than zero") }
        return value
    }

    /// How the value reads in an error message.
    func describe() -> String {
        switch node.content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, .quoted): return "the quoted string \"\(text)\""
        case .scalar(let text, .plain): return node.isNull ? "an empty value" : "\"\(text)\""
        }
    }
}

/// The pairs of one mapping, looked up by key.
struct ConfigMapping {
    let owner: ConfigValue
    let pairs: [YAMLNode.Pair]

    /// The value under `key`, or nil when the key is absent.
    subscript(_ key: String) -> ConfigValue? {
        guard let pair = pairs.first(where: { $0.key.scalarText == key }) else { return nil }
        return ConfigValue(node: pair.value, path: ConfigPath.child(owner.path, key), file: owner.file)
    }

    /// The value under a key that must be present.
    func required(_ key: String) throws(ConfigError) -> ConfigValue {
        guard let value = self[key] else { throw owner.error("missing required key \"\(key)\"") }
        return value
    }

    /// Each key with its value, in source order (for free-form mappings such as `aliases`).
    var entries: [(key: ConfigValue, value: ConfigValue)] {
        pairs.map { pair in
            let path = ConfigPath.child(owner.path, pair.key.scalarText ?? "")
            return (ConfigValue(node: pair.key, path: path, file: owner.file), ConfigValue(node: pair.value, path: path, file: owner.file))
        }
    }
}
