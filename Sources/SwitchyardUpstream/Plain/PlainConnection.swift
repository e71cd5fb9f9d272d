import CLinux
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One keep-alive TCP connection to a plain-HTTP upstream. Carries one exchange at a time; idle
/// between exchanges, it stays registered for readability so that a close by the upstream is
/// noticed (and the connection dropped from the pool) without a liveness probe per request.
///
/// A streamed request body goes out after the head through the exchange's `PlainBodyPump`, as
/// the socket takes it and the source has it; reading the response goes on meanwhile, so an
/// upstream that answers early is heard. The exchange hears when the socket starts refusing
/// such a request and when it takes bytes again (its send-stall timeout).
///
/// Threading: confined to its client's loop. Lifetime: the loop holds it (as the fd's handler)
/// from `open` until `close`; while busy it holds its exchange strongly.
final class PlainConnection: IOHandler {
    let fd: Int32
    let origin: String
    unowned let client: PlainHTTPClient
    let loop: EventLoop
    private(set) var exchange: PlainExchange?
    private(set) var connecting: Bool
    private(set) var isClosed = false
    /// Completed exchanges: a connection that has served one may have been closed by the
    /// upstream while idle, so its first failure is retried on a fresh connection.
    var served = 0
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var watchingWritable: Bool
    private var readingPaused = false
    /// The streamed body being sent, until it is all out (or sending stops).
    private var pump: PlainBodyPump?
    /// Sending stopped before the whole body went out: the connection cannot be reused.
    private var bodyAbandoned = false
    /// The socket refused bytes of a request with a streamed body and has taken none since (the
    /// exchange was told).
    private var sendRefused = false
    private var flushing = false
    static let bodyBytesPerTurn = 256 * 1024

    private init(fd: Int32, origin: String, client: PlainHTTPClient, connecting: Bool) {
        self.fd = fd
        self.origin = origin
        self.client = client
        loop = client.loop
        self.connecting = connecting
        watchingWritable = connecting
    }

    /// A new non-blocking connection to `target`, or the errno that prevented it.
    static func open(_ target: PlainTarget, client: PlainHTTPClient) -> Result<PlainConnection, IOError> {
        let fd = socket(target.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(IOError("socket")) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let status = target.connect(fd)
        guard status == 0 || status == EINPROGRESS else {
            Glibc.close(fd)
            return .failure(IOError("connect(\(target.origin))", errno: status))
        }
        let connection = PlainConnection(fd: fd, origin: target.origin, client: client, connecting: status != 0)
        do {
            try client.loop.register(fd: fd, events: connection.connecting ? [.readable, .writable] : .readable, handler: connection)
        } catch {
            Glibc.close(fd)
            return .failure(error)
        }
        client.openCount += 1
        return .success(connection)
    }

    /// Sends a request for `exchange`: written now if the socket takes it, else as it drains;
    /// then the streamed body from `pump`, if there is one.
    func begin(_ exchange: PlainExchange, request bytes: [UInt8], body pump: PlainBodyPump?) {
        self.exchange = exchange
        outbound = bytes
        outboundOffset = 0
        bodyAbandoned = false
        sendRefused = false
        if let pump {
            self.pump = pump
            pump.attach { [weak self] in self?.bodySourceReadable() }
        }
        if !connecting { flush() }
    }

    /// True once the whole request went out: a response that came early (a 413 while the body
    /// was still being sent) leaves the connection with half a request in it, unusable.
    var requestFullySent: Bool { outboundOffset >= outbound.count && pump == nil && !bodyAbandoned }

    /// A streamed body is still being sent.
    var isSendingBody: Bool { pump != nil }

    /// Stops sending the request body (the upstream answered early, or the socket failed); the
    /// response is still read. The connection is not reused afterwards.
    func stopSending() {
        guard let pump else { return }
        pump.detach()
        self.pump = nil
        bodyAbandoned = true
        outbound.removeAll(keepingCapacity: true)
        outboundOffset = 0
        sendTaken()
        watchWritable(false)
    }

    /// The socket refused request bytes that are ready: the upstream is not reading them.
    private func sendBlocked() {
        guard !sendRefused else { return }
        sendRefused = true
        exchange?.sendBlocked()
    }

    /// The socket took bytes again, or nothing is left to send for now.
    private func sendTaken() {
        guard sendRefused else { return }
        sendRefused = false
        exchange?.sendUnblocked()
    }

    private func bodySourceReadable() {
        exchange?.bodySourceResumed()
        guard !flushing, !connecting, !isClosed, pump != nil else { return }
        flush()
    }

    /// Detaches the finished exchange; the connection may carry the next one.
    func endExchange() {
        exchange = nil
        served += 1
        pauseReading(false)
    }

    func close() {
        guard !isClosed else { return }
        client.openCount -= 1
        closeSocket()
    }

    /// Closes without touching the client: for the client's own deinit.
    func closeSocket() {
        guard !isClosed else { return }
        isClosed = true
        exchange = nil
        pump?.detach()
        pump = nil
        loop.unregister(fd: fd)
        Glibc.close(fd)
    }

    // MARK: I/O

    func handleIO(fd: Int32, events: IOEvents) {
        if connecting {
            guard events.contains(.writable) || events.contains(.error) || events.contains(.hangup) else { return }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { return broken(errno: error, during: "connect") }
            connecting = false
        }
        if outboundOffset < outbound.count || pump != nil, events.contains(.writable) { flush() }
        if !readingPaused, events.contains(.readable) || events.contains(.hangup) || events.contains(.error) { read() }
    }

    private func flush() {
        while outboundOffset < outbound.count {
            let written = outbound.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + outboundOffset, raw.count - outboundOffset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outboundOffset += written
                sendTaken()
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == EAGAIN {
                if pump != nil { sendBlocked() }
                return watchWritable(true)
            }
            return sendFailed(errno: written < 0 ? errno : EPIPE)
        }
        outbound.removeAll(keepingCapacity: true)
        outboundOffset = 0
        if pump != nil { return flushBody() }
        if watchingWritable { watchWritable(false) }
    }

    /// Sends the streamed body while the socket takes it and the source has it, up to
    /// `bodyBytesPerTurn`: then the loop's turn goes on (the response may be arriving: an
    /// upstream that refuses the body early and drains it fast would otherwise never be heard),
    /// and the next writable event carries on.
    private func flushBody() {
        flushing = true
        defer { flushing = false }
        var budget = Self.bodyBytesPerTurn
        while let pump {
            // Bytes wait for the socket's next writable event, as after EAGAIN: an upstream that
            // stopped reading may leave room for a send but never enough for that event.
            if budget <= 0 {
                sendBlocked()
                return watchWritable(true)
            }
            switch pump.fill() {
            case .ready:
                break
            case .wait:
                // The source's onReadable resumes; the socket's readiness is no use until then.
                sendTaken()
                if watchingWritable { watchWritable(false) }
                return
            case .done:
                pump.detach()
                self.pump = nil
                sendTaken()
                if watchingWritable { watchWritable(false) }
                exchange?.requestSent()
                return
            case .failed(let error):
                stopSending()
                exchange?.bodyFailed(error)
                return
            }
            let bytes = pump.pending
            let written = Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if written > 0 {
                pump.sent(written)
                budget -= written
                sendTaken()
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == EAGAIN {
                sendBlocked()
                return watchWritable(true)
            }
            return sendFailed(errno: written < 0 ? errno : EPIPE)
        }
    }

    /// The socket refused the request. With a streamed body the upstream may have answered and
    /// closed before taking it all (a 413): read what it sent before calling it broken.
    private func sendFailed(errno code: Int32) {
        guard pump != nil || bodyAbandoned else { return broken(errno: code, during: "send") }
        stopSending()
        if !readingPaused { read() }
        guard !isClosed, let exchange, !exchange.hasResponseBytes else { return }
        broken(errno: code, during: "send")
    }

    private func watchWritable(_ on: Bool) {
        guard watchingWritable != on, !isClosed else { return }
        watchingWritable = on
        watch()
    }

    /// Stops (or resumes) reading: the kernel's buffer fills and TCP flow control holds the
    /// upstream back. Bytes already read are still handed to the exchange.
    func pauseReading(_ paused: Bool) {
        guard readingPaused != paused, !isClosed else { return }
        readingPaused = paused
        watch()
    }

    private func watch() {
        var events: IOEvents = readingPaused ? [] : .readable
        if watchingWritable { events.insert(.writable) }
        try? loop.modify(fd: fd, events: events)
    }

    private func read() {
        let buffer = client.readBuffer
        while !isClosed {
            let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if count > 0 {
                guard let exchange else { return client.discard(self) }  // idle: nothing may arrive
                exchange.received(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), on: self)
                // Drained, or paused by the exchange's delegate: level-triggered epoll says when
                // there is more to read (and says nothing while reading is paused).
                if count < buffer.count || readingPaused { return }
                continue
            }
            if count == 0 {
                guard let exchange else { return client.discard(self) }
                return exchange.connectionEnded(self, errno: 0)
            }
            if errno == EINTR { continue }
            if errno == EAGAIN { return }
            return broken(errno: errno, during: "recv")
        }
    }

    private func broken(errno code: Int32, during call: String) {
        guard let exchange else { return client.discard(self) }
        exchange.connectionEnded(self, errno: code, during: call)
    }
}
