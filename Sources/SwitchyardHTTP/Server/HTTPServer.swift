import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server: one event loop per core, each with its own SO_REUSEPORT listener and its
/// own connections, sharing nothing on the request path.
///
/// Threading: `init`, `start` and `port` on the caller's thread; `shutdown` from any thread.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    public let group: EventLoopGroup
    let responder: HTTPResponder
    private var loops: [ServerLoop] = []
    public private(set) var port: Int

    public init(configuration: HTTPServerConfiguration, responder: HTTPResponder) throws(IOError) {
        self.configuration = configuration
        self.responder = responder
        group = try EventLoopGroup(count: configuration.loops)
        port = configuration.port
    }

    /// Binds every loop's listener and starts the loop threads; returns once listening.
    public func start() throws(IOError) {
        var listeners: [Int32] = []
        do throws(IOError) {
            for _ in group.loops {
                // Port 0: the first bind picks a port, the other loops bind the same one.
                let fd = try Socket.listen(host: configuration.host, port: port)
                if port == 0 { port = Socket.localPort(fd) }
                listeners.append(fd)
            }
            for (loop, listener) in zip(group.loops, listeners) {
                loops.append(try ServerLoop(loop: loop, listener: listener, configuration: configuration, responder: responder))
            }
        } catch {
            for fd in listeners { close(fd) }
            throw error
        }
        group.start()
    }

    /// Stops accepting, closes idle connections, lets in-flight requests and streams finish for
    /// up to `grace` nanoseconds, then stops every loop. Returns when all loop threads have ended.
    public func shutdown(grace: UInt64) {
        for server in loops {
            let loop = server.loop
            loop.execute { server.drain(grace: grace) { loop.stop() } }
        }
        group.join()
    }
}
