/// The settings a reload cannot apply, because the process part of the gateway was built from
/// them at start (listeners, loops, the store, the worker pool, the hook watchdog, the admin
/// listener). A reload whose config changes any of them is refused, naming them, and the running
/// config keeps serving (docs/operations.md lists them).
public enum RestartOnlySettings {
    /// The YAML keys whose values differ between `running` and `reloaded`, in a stable order;
    /// empty when the reload may go ahead.
    public static func changed(from running: GatewayConfig, to reloaded: GatewayConfig) -> [String] {
        let (a, b) = (running.server, reloaded.server)
        var names: [String] = []
        func check(_ name: String, _ same: Bool) { if !same { names.append(name) } }
        check("server.host", a.host == b.host)
        check("server.port", a.port == b.port)
        check("server.loops", a.loops == b.loops)
        check("server.max_body_bytes", a.maxBodyBytes == b.maxBodyBytes)
        check("server.max_streamed_body_bytes", a.maxStreamedBodyBytes == b.maxStreamedBodyBytes)
        check("server.max_connections", a.maxConnections == b.maxConnections)
        check("server.max_body_memory", a.maxBodyMemory == b.maxBodyMemory)
        check("server.min_body_rate", a.minBodyRate == b.minBodyRate)
        check("server.body_rate_grace", a.bodyRateGrace == b.bodyRateGrace)
        check("server.header_timeout", a.headerTimeout == b.headerTimeout)
        check("server.body_timeout", a.bodyTimeout == b.bodyTimeout)
        check("server.idle_timeout", a.idleTimeout == b.idleTimeout)
        check("server.max_upstream_response_bytes", a.maxUpstreamResponseBytes == b.maxUpstreamResponseBytes)
        check("server.plugin_workers", a.pluginWorkers == b.pluginWorkers)
        check("server.plugin_worker_queue", a.pluginWorkerQueue == b.pluginWorkerQueue)
        check("server.slow_hook_threshold", a.slowHookThreshold == b.slowHookThreshold)
        check("store", running.store == reloaded.store)
        check("admin.listen", running.admin.listen == reloaded.admin.listen)
        // The Redis client (its connections on the loops) is made at start.
        check("redis", running.redis == reloaded.redis)
        return names
    }
}
