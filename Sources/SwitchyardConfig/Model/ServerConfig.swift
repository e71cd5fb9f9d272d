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
    /// Time allowed to connect to an upstream (TCP + TLS).
    public var upstreamConnectTimeout: Duration = .seconds(5)
    /// Whole upstream exchange, streaming included.
    public var upstreamTimeout: Duration = .seconds(600)

    public init() {}
}
