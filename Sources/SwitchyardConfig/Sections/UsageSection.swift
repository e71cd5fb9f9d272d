/// Decodes `usage:` (`record`, `retention`); both optional.
enum UsageSection {
    static let keys = ["record", "retention"]

    /// `keysRequired`: `keys.required` (usage is recorded by default when callers are known).
    static func decode(_ value: ConfigValue?, keysRequired: Bool) throws(ConfigError) -> UsageConfig {
        var usage = UsageConfig(record: keysRequired)
        guard let value else { return usage }
        let fields = try value.mapping(allowedKeys: keys)
        if let record = fields["record"] { usage.record = try record.enabledFlag() }
        if let retention = fields["retention"] { usage.retention = try retention.retention() }
        return usage
    }
}
