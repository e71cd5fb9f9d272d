import SwitchyardPluginSDK

/// A `custom` entry of the config: a name (used like a built-in detector's) and a PCRE2 pattern.
struct CustomPattern {
    let name: String
    let source: String

    /// Names go into placeholders and messages: keep them short and plain.
    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }

    static func parseAll(_ value: JSONValue?) throws(PluginError) -> [CustomPattern] {
        guard let value else { return [] }
        guard let items = value.arrayValue else { throw .config("custom must be a list of {\"name\", \"pattern\"} objects") }
        var patterns: [CustomPattern] = []
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else { throw .config("custom[\(index)] must be an object with name and pattern") }
            for key in object.keys where key != "name" && key != "pattern" {
                throw .config("custom[\(index)]: unknown key \"\(key)\" (known: name, pattern)")
            }
            guard let name = object["name"]?.stringValue, isPlainName(name) else {
                throw .config("custom[\(index)].name must be 1-64 letters, digits, '_' or '-'")
            }
            guard let source = object["pattern"]?.stringValue, !source.isEmpty else {
                throw .config("custom pattern \"\(name)\" needs a non-empty pattern string")
            }
            if BuiltInDetectors.names.contains(name) || patterns.contains(where: { $0.name == name }) {
                throw .config("custom pattern name \"\(name)\" is already taken")
            }
            patterns.append(CustomPattern(name: name, source: source))
        }
        return patterns
    }

    /// Compiles in UTF mode (`.` is a character, not a byte). A pattern PCRE2 refuses is a
    /// config error that names it and quotes PCRE2's message and offset.
    func compile(placeholder: String) throws(PluginError) -> Detector {
        let pattern: Pattern
        do {
            pattern = try Pattern(source, utf: true)
        } catch {
            throw .config("custom pattern \"\(name)\" does not compile: \(error.message) at offset \(error.offset)")
        }
        return Detector(
            name: name, pattern: pattern, validation: .none, holdsOnceItContains: nil, prefilter: .none,
            placeholder: PIIConfig.placeholder(placeholder, for: name), heldContext: pattern.lookbehind)
    }
}
