/// Decodes `server:`; every key is optional and falls back to `ServerConfig`'s default.
enum ServerSection {
    static let keys = [
        "host", "port", "loops", "max_body_bytes", "max_streamed_body_bytes", "max_connections", "max_body_memory", "min_body_rate", "body_rate_grace",
        "header_timeout", "body_timeout", "idle_timeout", "shutdown_grace",
        "upstream_connect_timeout", "upstream_first_byte_timeout", "upstream_idle_timeout",
        "upstream_timeout", "max_upstream_response_bytes", "max_sse_event_bytes",
        "plugin_workers", "plugin_worker_queue", "slow_hook_threshold", "request_deadline",
    ]

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> ServerConfig {
        var server = ServerConfig()
        guard let value else { return server }
        let fields = try value.mapping(allowedKeys: keys)
        if let host = fields["host"] { server.host = try host.token("host") }
        if let port = fields["port"] { server.port = try port.integer(in: 0...65535) }
        if let loops = fields["loops"] { server.loops = try loops.integer(in: 0...1024) }
        if let size = fields["max_body_bytes"] { server.maxBodyBytes = try size.byteSize() }
        if let size = fields["max_streamed_body_bytes"] { server.maxStreamedBodyBytes = try size.byteSize() }
        if let count = fields["max_connections"] { server.maxConnections = try count.integer(in: 1...10_000_000) }
        if let size = fields["max_body_memory"] { server.maxBodyMemory = try size.byteSize() }
        if let rate = fields["min_body_rate"] { server.minBodyRate = try rate.byteSize(allowingZero: true) }
        if let grace = fields["body_rate_grace"] { server.bodyRateGrace = try positive(grace) }
        if let timeout = fields["header_timeout"] { server.headerTimeout = try positive(timeout) }
        if let timeout = fields["body_timeout"] { server.bodyTimeout = try positive(timeout) }
        if let timeout = fields["idle_timeout"] { server.idleTimeout = try positive(timeout) }
        if let grace = fields["shutdown_grace"] { server.shutdownGrace = try grace.duration() }
        if let timeout = fields["upstream_connect_timeout"] { server.upstreamTimeouts.connect = try positive(timeout) }
        if let timeout = fields["upstream_first_byte_timeout"] { server.upstreamTimeouts.firstByte = try timeout.duration() }
        if let timeout = fields["upstream_idle_timeout"] { server.upstreamTimeouts.idle = try timeout.duration() }
        // The total; it covered every upstream exchange alone before the other three existed.
        if let timeout = fields["upstream_timeout"] { server.upstreamTimeouts.total = try timeout.duration() }
        if let size = fields["max_upstream_response_bytes"] { server.maxUpstreamResponseBytes = try size.byteSize() }
        if let size = fields["max_sse_event_bytes"] { server.maxSSEEventBytes = try size.byteSize() }
        if let count = fields["plugin_workers"] { server.pluginWorkers = try count.integer(in: 1...1024) }
        if let count = fields["plugin_worker_queue"] { server.pluginWorkerQueue = try count.integer(in: 0...1_000_000) }
        if let threshold = fields["slow_hook_threshold"] { server.slowHookThreshold = try threshold.duration() }
        if let deadline = fields["request_deadline"] { server.requestDeadline = try deadline.duration() }
        if server.maxBodyMemory < server.maxBodyBytes, let value = fields["max_body_memory"] ?? fields["max_body_bytes"] {
            throw value.error("max_body_memory (\(server.maxBodyMemory) bytes) must be at least max_body_bytes (\(server.maxBodyBytes) bytes), or no body of the largest size could ever be received")
        }
        return server
    }

    /// Timeouts of zero would fire at once; only `shutdown_grace` and the upstream timeouts
    /// other than connect (where 0 means off) may be 0.
    static func positive(_ value: ConfigValue) throws(ConfigError) -> Duration {
        let duration = try value.duration()
        guard duration > .zero else { throw value.error("must be greater than zero") }
        return duration
    }
}
