/// Decodes a plugin entry's `isolation:` (`in_process` | `process`) and `isolation_limits:`
/// (`hook_timeout`, `memory`, `max_restarts`, `restart_window`). Limits without
/// `isolation: process` are an error: they would silently do nothing.
enum IsolationDecoding {
    static let limitKeys = ["hook_timeout", "memory", "max_restarts", "restart_window"]

    static func decode(mode modeValue: ConfigValue?, limits limitsValue: ConfigValue?) throws(ConfigError) -> PluginIsolation {
        var isolation = PluginIsolation()
        if let modeValue, !modeValue.node.isNull {
            let text = try modeValue.string()
            guard let mode = PluginIsolation.Mode(rawValue: text) else {
                throw modeValue.error("expected in_process or process, got \"\(text)\"")
            }
            isolation.mode = mode
        }
        guard let limitsValue, !limitsValue.node.isNull else { return isolation }
        guard isolation.mode == .process else {
            throw limitsValue.error("isolation_limits applies only to an entry with isolation: process")
        }
        let fields = try limitsValue.mapping(allowedKeys: limitKeys)
        if let value = fields["hook_timeout"] {
            isolation.hookTimeoutNanoseconds = try positiveNanoseconds(value)
        }
        if let value = fields["memory"] {
            let bytes = try value.byteSize()
            // Below this the runner (a Swift executable with its own threads) cannot start at all.
            guard bytes >= 64 << 20 else { throw value.error("must be at least 64MiB (the runner itself needs that much address space)") }
            isolation.memoryLimitBytes = bytes
        }
        if let value = fields["max_restarts"] {
            isolation.maxRestarts = try value.integer(in: 0...1000)
        }
        if let value = fields["restart_window"] {
            isolation.restartWindowNanoseconds = try positiveNanoseconds(value)
        }
        return isolation
    }

    private static func positiveNanoseconds(_ value: ConfigValue) throws(ConfigError) -> UInt64 {
        let duration = try value.duration()
        let (seconds, attoseconds) = duration.components
        guard duration > .zero else { throw value.error("must be greater than zero") }
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }
}
