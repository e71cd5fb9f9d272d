/// `providers[].breaker`: `off` (or `false`), `on` (or `true`: the defaults), or a mapping of
/// the settings to change.
enum BreakerSection {
    static let keys = ["consecutive_failures", "failure_rate", "minimum_requests", "window", "cool_down", "max_cool_down", "half_open_probes"]

    static func decode(_ value: ConfigValue) throws(ConfigError) -> BreakerSettings? {
        guard case .mapping = value.node.content else {
            if case .scalar(let text, .plain) = value.node.content {
                if text == "off" { return nil }
                if text == "on" { return BreakerSettings() }
            }
            guard case .scalar(let text, .plain) = value.node.content, case .bool(let on) = ScalarResolution.resolve(text) else {
                throw value.error("expected off, on, or a mapping of breaker settings (\(keys.joined(separator: ", "))), got \(value.describe())")
            }
            return on ? BreakerSettings() : nil
        }
        let fields = try value.mapping(allowedKeys: keys)
        var settings = BreakerSettings()
        if let v = fields["consecutive_failures"] { settings.consecutiveFailures = try v.integer(in: 1...1_000_000) }
        if let v = fields["failure_rate"] { settings.failureRate = try v.number(in: 0.01...1, what: "a share of failures from 0.01 to 1 (0.5 = half)") }
        if let v = fields["minimum_requests"] { settings.minimumRequests = try v.integer(in: 1...1_000_000) }
        if let v = fields["window"] { settings.window = try ServerSection.positive(v) }
        if let v = fields["cool_down"] { settings.coolDown = try ServerSection.positive(v) }
        if let v = fields["max_cool_down"] { settings.maxCoolDown = try ServerSection.positive(v) }
        if let v = fields["half_open_probes"] { settings.halfOpenProbes = try v.integer(in: 1...1000) }
        if settings.maxCoolDown < settings.coolDown {
            throw (fields["max_cool_down"] ?? value).error("max_cool_down must be at least cool_down")
        }
        return settings
    }
}
