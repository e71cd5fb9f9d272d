/// The `server:` section: listener, limits and timeouts. Defaults are the stored property values.
public struct ServerConfig: Sendable, Hashable {
    /// Address to listen on (an IP literal or a host name).
    public var host = "127.0.0.1"
    /// TCP port, 0...65535 (0 = the kernel picks one; useful in tests).
    public var port = 8080
    /// Event loops (threads); 0 = one per core.
    public var loops = 0
    /// Largest accepted request body.
    public var maxBodyBytes = 32 << 20
    /// Time allowed to receive the request line and headers.
    public var headerTimeout: Duration = .seconds(10)
    /// Time allowed to receive the request body.
    public var bodyTimeout: Duration = .seconds(30)
    /// An idle keep-alive connection is closed after this long.
    public var idleTimeout: Duration = .seconds(60)
    /// On shutdown, in-flight requests get this long to finish (0 = stop at once).
    public var shutdownGrace: Duration = .seconds(30)
    /// Upstream timeouts of every provider that does not override them in its `timeouts:`.
    public var upstreamTimeouts = UpstreamTimeouts()
    /// Largest upstream answer the host lets a provider plugin buffer: a non-streamed response,
    /// or an error body (status >= 400).
    public var maxUpstreamResponseBytes = 64 << 20
    /// Largest single server-sent event of a streamed upstream answer.
    public var maxSSEEventBytes = 16 << 20

    public init() {}
}
