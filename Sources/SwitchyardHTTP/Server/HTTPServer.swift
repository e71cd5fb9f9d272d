import Synchronization
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server: one event loop per core sharing one listening socket per address (each
/// loop watches it with EPOLLEXCLUSIVE, so a new connection wakes one loop) and owning the
/// connections it accepted; loops share nothing else on the request path.
///
/// Threading: `init`, `start`, `port` and `addresses` on the caller's thread; `shutdown` from
/// any thread.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    public let group: EventLoopGroup
    let responder: HTTPResponder
    private var loops: [ServerLoop] = []
    private var listeners: [Int32] = []
    /// Bound addresses, with the port the kernel picked when the configuration said 0.
    public private(set) var addresses: [SocketAddress] = []
    public private(set) var port: Int
    private var bodyBudget: BodyMemoryBudget?

    /// Bytes of `HTTPServerConfiguration.maxBodyMemory` that request bodies in flight hold now
    /// (0 before `start`). Any thread.
    public var bodyMemoryInUse: Int { bodyBudget?.inUse ?? 0 }

    public init(configuration: HTTPServerConfiguration, responder: HTTPResponder) throws(IOError) {
        self.configuration = configuration
        self.responder = responder
        group = try EventLoopGroup(count: configuration.loops)
        port = configuration.port
    }

    /// Resolves the host, binds a listener on each of its addresses and starts the loop threads;
    /// returns once listening. Fails if any address is already in use.
    public func start() throws(IOError) {
        do throws(IOError) {
            for var address in try SocketAddress.resolve(host: configuration.host, port: port) {
                // Port 0: the first bind picks a port, the other addresses take the same one.
                if port != 0 { address.port = port }
                let fd = try Socket.listen(address)
                listeners.append(fd)
                let bound = SocketAddress.local(of: fd)
                if port == 0 { port = bound.port }
                addresses.append(bound)
            }
            let budget = BodyMemoryBudget(limit: configuration.maxBodyMemory)
            bodyBudget = budget
            let count = group.loops.count
            for (index, loop) in group.loops.enumerated() {
                // The connection limit split across the loops; the first ones take the remainder.
                let quota = configuration.maxConnections / count + (index < configuration.maxConnections % count ? 1 : 0)
                loops.append(try ServerLoop(
                    loop: loop, listeners: listeners, configuration: configuration, responder: responder,
                    connectionQuota: max(1, quota), bodyBudget: budget))
            }
        } catch {
            for fd in listeners { close(fd) }
            listeners = []
            throw error
        }
        for server in loops {
            server.askOthersToLookAgain = { [unowned self] asking in
                for other in loops where other !== asking {
                    other.loop.execute { other.lookAgain() }
                }
            }
        }
        group.start()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests and streams finish for
    /// up to `grace` nanoseconds, then stops every loop. Returns when all loop threads have ended.
    /// `drained` runs on each loop once its requests are over, just before it stops (what lives
    /// on the loops, like a Redis connection, closes there).
    public func shutdown(grace: UInt64, drained: (@Sendable (EventLoop) -> Void)? = nil) {
        // The listeners are closed once every loop has stopped watching them: closing one a loop
        // still watches would let that loop's later unregister hit a reused descriptor.
        let remaining = Countdown(loops.count)
        let listeners = self.listeners
        self.listeners = []
        for server in loops {
            let loop = server.loop
            loop.execute {
                server.drain(grace: grace) {
                    drained?(loop)
                    loop.stop()
                }
                if remaining.countDown() {
                    for fd in listeners { close(fd) }
                }
            }
        }
        group.join()
    }
}

/// Counts down from `count` on any thread; true for the call that reaches zero.
private final class Countdown: Sendable {
    private let value: Atomic<Int>
    init(_ count: Int) { value = Atomic(count) }
    func countDown() -> Bool { value.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 }
}
