/// Decodes `plugins:`, a list of entries; each entry is one plugin instance.
enum PluginsSection {
    static let keys = ["name", "path", "sha256", "enabled", "config", "isolation", "isolation_limits"]

    /// An entry before disabled ones are dropped (cross-section checks need all names).
    struct Draft {
        var entry: PluginEntry
        var enabled: Bool
        var nameValue: ConfigValue
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> [Draft] {
        guard let value else { return [] }
        var drafts: [Draft] = []
        for item in try value.sequence() {
            drafts.append(try decodeEntry(item))
        }
        try EntryName.checkUnique(drafts.map { ($0.entry.name, $0.nameValue) }, kind: "plugin")
        return drafts
    }

    private static func decodeEntry(_ item: ConfigValue) throws(ConfigError) -> Draft {
        if item.node.isNull { throw item.error("expected a plugin entry (a mapping with name and path), got an empty value") }
        let fields = try item.mapping(allowedKeys: keys)
        let nameValue = try fields.required("name")
        let name = try EntryName.decode(nameValue)
        let pathValue = try fields.required("path")
        let path = try pathValue.string()
        guard path.hasPrefix("/") else {
            throw pathValue.error("must be an absolute path after interpolation, got \"\(path)\"")
        }
        var sha256: String?
        if let pin = fields["sha256"], !pin.node.isNull {
            sha256 = try decodeDigest(pin)
        }
        let enabled = try fields["enabled"].map { v throws(ConfigError) in try v.enabledFlag() } ?? true
        var configJSON = Array("{}".utf8)
        // An absent or empty config is `{}`, placed at the entry (or at its empty `config:`).
        var locations = PluginConfigLocations(root: .init(keyPath: ConfigPath.child(item.path, "config"), value: item.location))
        if let config = fields["config"] {
            if config.node.isNull {
                locations = PluginConfigLocations(root: .init(keyPath: config.path, value: config.location))
            } else {
                (configJSON, locations) = try JSONRendering.renderWithLocations(config.node, path: config.path, file: config.file)
            }
        }
        let isolation = try IsolationDecoding.decode(mode: fields["isolation"], limits: fields["isolation_limits"])
        let entry = PluginEntry(name: name, path: path, sha256: sha256, configJSON: configJSON, location: item.location,
                                configLocations: locations, isolation: isolation)
        return Draft(entry: entry, enabled: enabled, nameValue: nameValue)
    }

    /// 64 hex digits, stored lower-case so comparisons with a computed digest are plain `==`.
    private static func decodeDigest(_ value: ConfigValue) throws(ConfigError) -> String {
        let text = try value.string()
        let isHex = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }
        guard text.utf8.count == 64, isHex else {
            throw value.error("expected 64 hexadecimal digits (a SHA-256), got \"\(text)\"")
        }
        return text.lowercased()
    }
}
