import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The server's state on one event loop: the shared listeners it watches, its connections, and
/// buffers reused by every connection of the loop. Loop-confined (created before the loop runs).
final class ServerLoop: IOHandler, @unchecked Sendable {
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    static let lastChunk = Array("0\r\n\r\n".utf8)
    static let crlf: [UInt8] = [13, 10]
    /// After the process ran out of descriptors, how long accepting waits before trying again
    /// (sooner if one of this loop's connections closes).
    static let exhaustedRetry: UInt64 = 100_000_000

    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    /// Limits of buffered requests.
    let limits: HeadLimits
    /// What the head parser checks: a declared length is checked by the connection, once it
    /// knows whether the body is buffered or streamed.
    let parseLimits: HeadLimits
    let responder: HTTPResponder
    let bodyBudget: BodyMemoryBudget
    /// This loop's share of `maxConnections`.
    let connectionQuota: Int
    private let listeners: [Int32]
    private var connections: [Int32: Connection] = [:]
    private(set) var draining = false
    private var onStopped: (() -> Void)?
    /// Not watching the listeners: at the connection quota, or out of descriptors.
    private var acceptPaused = false
    private var acceptRetry: TimerID?

    /// Scratch space for recv, shared by the loop's connections (one read at a time).
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var headBuffer = ResponseHead()
    /// Reused to compose one chunk of a chunked response (size line, data, CRLF).
    var chunkBuffer: [UInt8] = []
    private var cachedDate: [UInt8] = []
    private var cachedSecond = 0

    init(
        loop: EventLoop, listeners: [Int32], configuration: HTTPServerConfiguration, responder: HTTPResponder,
        connectionQuota: Int, bodyBudget: BodyMemoryBudget
    ) throws(IOError) {
        self.loop = loop
        self.listeners = listeners
        self.configuration = configuration
        self.responder = responder
        self.connectionQuota = connectionQuota
        self.bodyBudget = bodyBudget
        limits = HeadLimits(maxHeaderBytes: configuration.maxHeaderBytes, maxHeaderCount: configuration.maxHeaderCount, maxBodyBytes: configuration.maxBodyBytes)
        parseLimits = HeadLimits(maxHeaderBytes: configuration.maxHeaderBytes, maxHeaderCount: configuration.maxHeaderCount, maxBodyBytes: .max)
        try watchListeners()
    }

    deinit { readBuffer.deallocate() }

    // MARK: accepting

    /// A listener is readable: accept what is pending, up to this loop's quota.
    func handleIO(fd: Int32, events: IOEvents) {
        while !draining, !acceptPaused {
            guard connections.count < connectionQuota else {
                pauseAccepting()
                // The kernel woke this loop alone (EPOLLEXCLUSIVE) for what is pending: the
                // others must look again, or it waits in the backlog while they have room.
                askOthersToLookAgain(self)
                report(.connections, "connection limit reached; accepting paused until a connection closes", [
                    ("max_connections", String(configuration.maxConnections)), ("open_on_loop", String(connections.count)),
                ])
                return
            }
            switch Socket.accept(fd) {
            case .connection(let client):
                let connection = Connection(fd: client, server: self)
                do {
                    try loop.register(fd: client, events: [.readable, .peerClosed], handler: connection)
                    connections[client] = connection
                } catch {
                    close(client)  // the connection's timer holds it weakly and finds it gone
                }
            case .none:
                return
            case .exhausted(let error):
                pauseAccepting()
                acceptRetry = loop.schedule(after: Self.exhaustedRetry) { [weak self] in
                    self?.acceptRetry = nil
                    self?.resumeAccepting()
                }
                report(.descriptors, "cannot accept: out of file descriptors or memory; accepting paused", [
                    ("error", error.description), ("open_on_loop", String(connections.count)),
                ])
                return
            }
        }
    }

    /// Stops watching the listeners; pending connections wait in the kernel's backlog and the
    /// other loops go on accepting them.
    private func pauseAccepting() {
        acceptPaused = true
        for fd in listeners { loop.unregister(fd: fd) }
    }

    private func resumeAccepting() {
        guard acceptPaused, !draining, connections.count < connectionQuota else { return }
        if let acceptRetry { loop.cancel(acceptRetry) }
        acceptRetry = nil
        do {
            try watchListeners()
            acceptPaused = false
        } catch {
            // Registering needs no descriptor, so this is rare; try again shortly.
            acceptRetry = loop.schedule(after: Self.exhaustedRetry) { [weak self] in
                self?.acceptRetry = nil
                self?.resumeAccepting()
            }
        }
    }

    /// Set by the server before the loops run: has every other loop call `lookAgain` on its own
    /// thread. (No weak references to loops: a weakly referenced object pays for every retain.)
    var askOthersToLookAgain: (ServerLoop) -> Void = { _ in }

    /// Re-registers the listeners so that epoll checks them now: EPOLL_CTL_ADD of a listener
    /// with a pending connection reports it at once. Another loop paused at its quota asks.
    func lookAgain() {
        guard !acceptPaused, !draining else { return }
        for fd in listeners { loop.unregister(fd: fd) }
        do { try watchListeners() } catch { acceptPaused = true; resumeAccepting() }
    }

    private func watchListeners() throws(IOError) {
        for fd in listeners { try loop.register(fd: fd, events: [.readable, .exclusive], handler: self) }
    }

    func connectionClosed(_ connection: Connection) {
        connections[connection.fd] = nil
        if draining && connections.isEmpty { return stop() }
        if acceptPaused { resumeAccepting() }
    }

    // MARK: operator log

    enum LimitEvent: Int { case connections, descriptors, bodyMemory }
    private var lastReported: [UInt64] = [0, 0, 0]
    static let reportInterval: UInt64 = 10_000_000_000

    /// Logs a limit being reached, at most once per `reportInterval` per kind and loop: a flood
    /// of refused clients must not become a flood of log lines.
    func report(_ event: LimitEvent, _ message: String, _ fields: @autoclosure () -> [(String, String)]) {
        let now = monotonicNanoseconds()
        guard lastReported[event.rawValue] == 0 || now &- lastReported[event.rawValue] >= Self.reportInterval else { return }
        lastReported[event.rawValue] = now
        configuration.log(message, fields())
    }

    // MARK: shutting down

    /// Stops accepting, closes idle connections, lets the others finish (each closes once its
    /// response has ended); after `grace` nanoseconds the responses still open are ended by their
    /// owners (`ResponseWriter.onClose(.shutdown)`: an error answer or a stream's error event),
    /// which get `lingerTimeout` more to reach the client, then every connection left is closed.
    /// `stopped` runs on the loop once it is empty. The
    /// listeners themselves are closed by the server once no loop watches them.
    func drain(grace: UInt64, stopped: @escaping () -> Void) {
        onStopped = stopped
        draining = true
        if !acceptPaused { for fd in listeners { loop.unregister(fd: fd) } }
        if let acceptRetry { loop.cancel(acceptRetry) }
        for connection in connections.values where connection.isIdle { connection.close() }
        if connections.isEmpty { return stop() }
        loop.schedule(after: grace) { [self] in
            for connection in connections.values {
                connection.writer?.shutdownGraceExpired()
                // A response its owner could not end is cut now; one just ended (a 503, an
                // error event) closes itself once flushed, within the linger time below, so a
                // slow reader still gets it.
                if connection.writer != nil { connection.close() }
            }
            if connections.isEmpty { return stop() }
            loop.schedule(after: configuration.lingerTimeout) { [self] in
                for connection in connections.values { connection.close() }
                stop()
            }
        }
    }

    private func stop() {
        guard let onStopped else { return }
        self.onStopped = nil
        onStopped()
    }

    /// The Date header value, formatted once per second.
    func date() -> [UInt8] {
        let now = time(nil)
        if now != cachedSecond || cachedDate.isEmpty {
            cachedSecond = now
            var parts = tm()
            var seconds = now
            gmtime_r(&seconds, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            cachedDate = buffer[..<count].map { UInt8(bitPattern: $0) }
        }
        return cachedDate
    }
}
