import SwitchyardConfig

extension UpstreamLimits {
    /// A provider's effective timeouts with the server-wide response bounds.
    init(_ timeouts: UpstreamTimeouts, server: ServerConfig) {
        self.init()
        connectTimeout = timeouts.connect.nanoseconds
        firstByteTimeout = timeouts.firstByte.nanoseconds
        idleTimeout = timeouts.idle.nanoseconds
        totalTimeout = timeouts.total.nanoseconds
        maxResponseBytes = server.maxUpstreamResponseBytes
        maxSSEEventBytes = server.maxSSEEventBytes
    }
}
