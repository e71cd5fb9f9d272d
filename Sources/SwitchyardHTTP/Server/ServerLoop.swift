import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The server's state on one event loop: its listener, its connections, and buffers reused by
/// every connection of the loop. Loop-confined (created before the loop runs).
final class ServerLoop: IOHandler, @unchecked Sendable {
    static let continueResponse = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    static let lastChunk = Array("0\r\n\r\n".utf8)
    static let crlf: [UInt8] = [13, 10]

    let loop: EventLoop
    let configuration: HTTPServerConfiguration
    let limits: HeadLimits
    let responder: HTTPResponder
    private var listener: Int32
    private var connections: [Int32: Connection] = [:]
    private(set) var draining = false
    private var onStopped: (() -> Void)?

    /// Scratch space for recv, shared by the loop's connections (one read at a time).
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    var headBuffer = ResponseHead()
    /// Reused to compose one chunk of a chunked response (size line, data, CRLF).
    var chunkBuffer: [UInt8] = []
    private var cachedDate: [UInt8] = []
    private var cachedSecond = 0

    init(loop: EventLoop, listener: Int32, configuration: HTTPServerConfiguration, responder: HTTPResponder) throws(IOError) {
        self.loop = loop
        self.listener = listener
        self.configuration = configuration
        self.responder = responder
        limits = HeadLimits(maxHeaderBytes: configuration.maxHeaderBytes, maxHeaderCount: configuration.maxHeaderCount, maxBodyBytes: configuration.maxBodyBytes)
        try loop.register(fd: listener, events: [.readable], handler: self)
    }

    deinit { readBuffer.deallocate() }

    /// The listener is readable: accept everything pending.
    func handleIO(fd: Int32, events: IOEvents) {
        while !draining, let client = Socket.accept(listener) {
            let connection = Connection(fd: client, server: self)
            do {
                try loop.register(fd: client, events: [.readable, .peerClosed], handler: connection)
                connections[client] = connection
            } catch {
                close(client)
            }
        }
    }

    func connectionClosed(_ connection: Connection) {
        connections[connection.fd] = nil
        if draining && connections.isEmpty { stop() }
    }

    /// Stops accepting, closes idle connections, lets the others finish (each closes once its
    /// response has ended); after `grace` nanoseconds the responses still open are ended by their
    /// owners (`ResponseWriter.onClose(.shutdown)`: an error answer or a stream's error event),
    /// and every connection left is closed. `stopped` runs on the loop once it is empty.
    func drain(grace: UInt64, stopped: @escaping () -> Void) {
        onStopped = stopped
        draining = true
        loop.unregister(fd: listener)
        close(listener)
        listener = -1
        for connection in connections.values where connection.isIdle { connection.close() }
        if connections.isEmpty { return stop() }
        loop.schedule(after: grace) { [self] in
            for connection in connections.values {
                connection.writer?.shutdownGraceExpired()
                connection.close()
            }
            stop()
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
