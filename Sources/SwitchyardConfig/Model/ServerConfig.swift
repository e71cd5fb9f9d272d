/// The `server:` section: listener, limits and timeouts. Defaults are the stored property values.
public struct ServerConfig: Sendable, Hashable {
    /// Address to listen on: an IPv4 or IPv6 literal, or a host name resolved at start (the
    /// gateway listens on every address it resolves to).
    public var host = "127.0.0.1"
    /// TCP port, 0...65535 (0 = the kernel picks one; useful in tests).
    public var port = 8080
    /// Event loops (threads); 0 = one per core.
    public var loops = 0
    /// Largest accepted request body.
    public var maxBodyBytes = 32 << 20
    /// Largest request body streamed through (passthrough, `/p/…`); it never sits in memory
    /// whole, so it is bounded apart from `maxBodyBytes`.
    public var maxStreamedBodyBytes = 8 << 30
    /// Open client connections; at the limit the gateway stops accepting until one closes.
    public var maxConnections = 4096
    /// Request bodies in flight, all connections together; a body that does not fit gets 503.
    public var maxBodyMemory = 256 << 20
    /// Slowest average rate (bytes per second) a request body may arrive at once
    /// `bodyRateGrace` has passed; 0 = no minimum.
    public var minBodyRate = 16 << 10
    public var bodyRateGrace: Duration = .seconds(10)
    /// Time allowed to receive the request line and headers.
    public var headerTimeout: Duration = .seconds(10)
    /// Longest silence while a request body is being received.
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
    /// Threads of the pool that runs plugin hooks declared blocking (a manifest's
    /// `blocking_hooks`); started only when a loaded plugin declares one.
    public var pluginWorkers = 4
    /// Blocking hook calls that may wait for a worker; beyond them a request is answered 503.
    public var pluginWorkerQueue = 64
    /// A hook running on an event loop longer than this is logged and counted; zero = not watched.
    public var slowHookThreshold: Duration = .milliseconds(50)
    /// The longest a request to a provider may take, all tries, waits and failovers together;
    /// when it passes the request ends with 504 `deadline_exceeded`. Zero (the default) = none:
    /// each exchange is still bounded by the upstream timeouts.
    public var requestDeadline: Duration = .zero

    public init() {}
}
