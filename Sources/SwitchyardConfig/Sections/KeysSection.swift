/// Decodes `keys:` (`required: true|false`, default false).
enum KeysSection {
    static let keys = ["required"]

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> KeysConfig {
        var config = KeysConfig()
        guard let value else { return config }
        let fields = try value.mapping(allowedKeys: keys)
        if let required = fields["required"] { config.required = try required.enabledFlag() }
        return config
    }
}
