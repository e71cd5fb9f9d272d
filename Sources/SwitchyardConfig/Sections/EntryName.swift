/// Names of plugin and provider entries: `[a-z0-9_-]+`, unique within their section.
enum EntryName {
    static func decode(_ value: ConfigValue) throws(ConfigError) -> String {
        let name = try value.string()
        let valid = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard valid else {
            throw value.error("invalid name \"\(name)\" (use lower-case letters, digits, \"_\" and \"-\")")
        }
        return name
    }

    /// Throws on the second use of a name, naming the line of the first.
    static func checkUnique(
        _ names: [(name: String, value: ConfigValue)],
        kind: String
    ) throws(ConfigError) {
        var seen: [String: YAMLNode.Mark] = [:]
        for (name, value) in names {
            if let first = seen[name] {
                throw value.error("duplicate \(kind) name \"\(name)\" (first used at line \(first.line))")
            }
            seen[name] = value.node.mark
        }
    }
}
