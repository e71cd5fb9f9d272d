/// The four timeouts of one upstream exchange. `server:` sets them for every provider
/// (`upstream_connect_timeout`, `upstream_first_byte_timeout`, `upstream_idle_timeout`,
/// `upstream_timeout`); a provider's `timeouts:` block overrides any of them.
///
/// `.zero` turns a timeout off, except `connect`, which is always on. The defaults never cut a
/// healthy answer however long it streams (no total), and never hold a client more than five
/// minutes on an upstream that has gone silent (docs/configuration.md, "Upstream timeouts").
public struct UpstreamTimeouts: Sendable, Hashable {
    /// TCP and TLS handshake.
    public var connect: Duration = .seconds(5)
    /// From the start (connecting included) until the response head has arrived. A non-streamed answer
    /// sends its head only once generated, so this bounds how long it may take.
    public var firstByte: Duration = .seconds(300)
    /// Longest silence between bytes once the head has arrived (a stream's pauses).
    public var idle: Duration = .seconds(300)
    /// The whole exchange, streaming included; off by default.
    public var total: Duration = .zero

    public init() {}

    public init(connect: Duration, firstByte: Duration, idle: Duration, total: Duration) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}
