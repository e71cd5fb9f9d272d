import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One request/response over a `PlainConnection`, with the same contract as a libcurl transfer:
/// the delegate hears the head, the body without framing, and exactly one completion, all on
/// the client's loop and never from inside `start`.
///
/// A reused connection that the upstream closed while it sat idle fails before any response
/// byte; such a request is sent once more on a fresh connection (the upstream never saw it),
/// unless part of a streamed body was already taken from its source.
///
/// A streamed body (`bodySource`) goes out through a `PlainBodyPump` after the head. A final
/// response of 300 or more that arrives first stops the sending (the upstream refused the
/// body); a 2xx lets it go on until the response ends. Either way a connection whose request
/// did not go out whole is closed, never reused. While the body goes out and no head has come,
/// an upstream whose socket takes none of it for the send-stall timeout (`sendStallTimeout`)
/// fails the exchange with `.idleTimeout`; time spent waiting for the source never counts.
///
/// Threading: confined to the client's loop. Lifetime: held by its connection while running,
/// and by whoever keeps the returned `UpstreamCall`.
final class PlainExchange: UpstreamCall {
    unowned let client: PlainHTTPClient
    let request: UpstreamRequest
    let target: PlainTarget
    private let wire: [UInt8]
    /// The streamed body, if the request has one.
    private let pump: PlainBodyPump?
    /// When the streamed body had gone out whole (0 before): the first-byte timeout counts from it.
    private var bodySentAt: UInt64 = 0
    /// Since when the socket has refused request bytes that are ready to go (0: it takes them,
    /// or there are none; waiting for the source is never a block).
    private var sendBlockedSince: UInt64 = 0
    private var delegate: UpstreamResponseDelegate?
    private var connection: PlainConnection?
    private var reader: PlainResponseReader
    private var inCallback = false
    private var stopped: UpstreamError?
    private var retried = false
    private var watchdog: TimerID?
    /// When the armed watchdog fires.
    private var watchdogDeadline: UInt64 = 0
    private var lastActivity: UInt64
    /// The caller paused receiving: silence is not the upstream's, the idle timeout waits.
    private var paused = false
    private(set) var timings = UpstreamTimings()

    var isActive: Bool { delegate != nil }

    init(client: PlainHTTPClient, request: UpstreamRequest, target: PlainTarget, delegate: UpstreamResponseDelegate) {
        self.client = client
        self.request = request
        self.target = target
        self.delegate = delegate
        wire = PlainRequestWriter.bytes(request, target: target)
        pump = request.streamsBody ? Self.pump(for: request) : nil
        reader = PlainResponseReader(isHEAD: request.method == "HEAD")
        timings.started = monotonicNanoseconds()
        lastActivity = timings.started
    }

    /// Kept out of `init`, which the request path inlines.
    @inline(never)
    private static func pump(for request: UpstreamRequest) -> PlainBodyPump? {
        guard request.method != "HEAD", let source = request.bodySource else { return nil }
        return PlainBodyPump(source: source)
    }

    /// Sends the request on a pooled or new connection; failures are reported on a later turn.
    func send() {
        switch client.connection(to: target) {
        case .success(let connection):
            self.connection = connection
            if watchdog == nil { armWatchdog() }  // a retry on a fresh connection keeps the first timer
            connection.begin(self, request: wire, body: pump)
        case .failure(let error):
            // socket() or registering it failed here; anything from connect() is a connect failure.
            let failure = UpstreamError(
                error.call.hasPrefix("connect") ? .connect : .other, "\(error) for \(request.url)", reason: UpstreamError.reason(errno: error.errno))
            client.loop.schedule(after: 0) { [self] in finish(.failure(failure)) }
        }
    }

    func cancel() {
        stop(.cancelled)
    }

    func pauseReceiving() {
        guard delegate != nil else { return }
        paused = true
        connection?.pauseReading(true)
    }

    func resumeReceiving() {
        guard delegate != nil else { return }
        paused = false
        lastActivity = monotonicNanoseconds()  // the pause was the caller's, not the upstream's
        if watchdog == nil { armWatchdog() }
        connection?.pauseReading(false)
    }

    // MARK: from the connection

    /// Some byte of the response has arrived.
    var hasResponseBytes: Bool { reader.sawBytes }

    /// The streamed body went out whole: the wait for the response head starts now.
    func requestSent() {
        bodySentAt = monotonicNanoseconds()
        rearmWatchdog()
    }

    /// The socket refused request bytes (EAGAIN) with a streamed body under way: the upstream's
    /// silence starts counting, if it is not already.
    func sendBlocked() {
        guard sendBlockedSince == 0, delegate != nil else { return }
        sendBlockedSince = monotonicNanoseconds()
        // A watchdog already due sooner re-arms for the stall when it fires; a later one (or
        // none) is brought forward.
        guard let deadline = sendStallDeadline, watchdog == nil || watchdogDeadline > deadline else { return }
        rearmWatchdog()
    }

    /// The socket took bytes again, or there are none to send (the source waits, the body is
    /// out, sending stopped).
    func sendUnblocked() {
        sendBlockedSince = 0
    }

    /// The streamed body's source failed (or broke its length): the upstream has half a request.
    func bodyFailed(_ error: UpstreamError) {
        guard delegate != nil else { return }
        if inCallback { return stop(error) }
        finish(.failure(error))
    }

    /// The source has bytes again after a wait, which no timeout counted (an upstream that
    /// answered early may have been silent for want of the body).
    func bodySourceResumed() {
        guard delegate != nil, stopped == nil else { return }
        if timings.head != 0 { lastActivity = monotonicNanoseconds() }
        if request.totalTimeout > 0 || (request.idleTimeout > 0 && timings.head != 0) { rearmWatchdog() }
    }

    func received(_ bytes: UnsafeRawBufferPointer, on connection: PlainConnection) {
        guard connection === self.connection, delegate != nil else { return }
        if request.idleTimeout > 0 { lastActivity = monotonicNanoseconds() }
        var offset = 0
        while stopped == nil {
            switch reader.next(bytes, &offset) {
            case .needMore:
                return
            case .head:
                timings.head = monotonicNanoseconds()
                lastActivity = timings.head
                // An early refusal: the upstream does not want the rest of the body.
                if reader.head.status >= 300, connection.isSendingBody { connection.stopSending() }
                if watchdog == nil { armWatchdog() }  // the idle timeout starts now
                inCallback = true
                delegate?.upstreamHead(status: reader.head.status, headers: reader.head.headers)
                inCallback = false
                if reader.isComplete { return complete(leftover: offset < bytes.count) }
            case .body(let range):
                inCallback = true
                delegate?.upstreamBody(UnsafeRawBufferPointer(rebasing: bytes[range]))
                inCallback = false
                if reader.isComplete, stopped == nil { return complete(leftover: offset < bytes.count) }
            case .complete:
                return complete(leftover: offset < bytes.count)
            case .malformed(let why):
                return finish(.failure(UpstreamError(.other, why, reason: "malformed response")))
            }
        }
        if let stopped { finish(.failure(stopped)) }
    }

    /// The connection closed (errno 0) or failed.
    func connectionEnded(_ connection: PlainConnection, errno code: Int32, during call: String = "recv") {
        guard connection === self.connection, delegate != nil else { return }
        if code == 0, reader.connectionClosed() { return finish(.success) }
        if !reader.sawBytes, connection.served > 0, !retried, pump?.started != true {
            retried = true
            connection.close()
            self.connection = nil
            sendBlockedSince = 0  // a refusal by the dead connection is not the new one's
            return send()
        }
        let message: String
        var reason: String?
        if code == 0 {
            message = reader.sawBytes ? "upstream closed the connection mid-response" : "upstream closed the connection without a response"
        } else {
            message = "\(call): \(String(cString: strerror(code))) (\(request.url))"
            reason = UpstreamError.reason(errno: code)
        }
        // A failed connect is "could not connect"; a connection that was made and then ended
        // (closed, reset, broken pipe) before the response was whole is `.closed`.
        let refused = code == ECONNREFUSED || code == ENETUNREACH || code == EHOSTUNREACH
        finish(.failure(UpstreamError(call == "connect" || refused ? .connect : .closed, message, reason: reason)))
    }

    // MARK: ending

    private func complete(leftover: Bool) {
        if leftover { connection?.close() }  // bytes for no request: the stream cannot be trusted
        finish(.success)
    }

    /// Ends early with `error`: now, or once the delegate callback on the stack returns.
    private func stop(_ error: UpstreamError) {
        guard delegate != nil, stopped == nil else { return }
        stopped = error
        if !inCallback { finish(.failure(error)) }
    }

    /// Returns the connection to the pool (only after a whole response) and tells the delegate,
    /// exactly once.
    private func finish(_ result: UpstreamResult) {
        guard let delegate else { return }
        self.delegate = nil
        pump?.detach()
        timings.completed = monotonicNanoseconds()
        if let watchdog { client.loop.cancel(watchdog) }
        watchdog = nil
        if let connection {
            if case .success = result, reader.reusable, connection.requestFullySent, !connection.isClosed {
                connection.endExchange()
                client.release(connection)
            } else {
                connection.close()
            }
        }
        connection = nil
        delegate.upstreamComplete(result)
    }

    // MARK: watchdog: connect, first-byte, idle and total timeouts on one loop timer

    private func armWatchdog() {
        guard let deadline = nextDeadline() else { return }
        let now = monotonicNanoseconds()
        watchdogDeadline = deadline
        watchdog = client.loop.schedule(after: deadline > now ? deadline - now : 0) { [weak self] in
            guard let self else { return }
            watchdog = nil
            checkWatchdog()
        }
    }

    private func rearmWatchdog() {
        if let watchdog { client.loop.cancel(watchdog) }
        watchdog = nil
        armWatchdog()
    }

    /// Time waiting for the body's source is nobody's delay: the total timeout is pushed back by
    /// it, and does not run while a wait is in progress.
    private var totalDeadline: UInt64? {
        guard request.totalTimeout > 0, pump?.isWaiting != true else { return nil }
        return timings.started &+ request.totalTimeout &+ (pump?.waited ?? 0)
    }

    /// With a streamed body the first byte is awaited from the end of the body.
    private var firstByteDeadline: UInt64? {
        guard request.firstByteTimeout > 0, timings.head == 0 else { return nil }
        if pump == nil { return timings.started &+ request.firstByteTimeout }
        return bodySentAt == 0 ? nil : bodySentAt &+ request.firstByteTimeout
    }

    /// How long the socket may refuse the streamed body before the head: the idle timeout, or
    /// without one the first-byte timeout (0: no limit).
    private var sendStallTimeout: UInt64 { request.idleTimeout > 0 ? request.idleTimeout : request.firstByteTimeout }

    /// While the upstream takes none of a streamed body that is ready to go, before its head
    /// (after it, the idle timeout watches the response). Without this, an upstream that stops
    /// reading would hold the exchange forever: the first-byte timeout waits for the end of the
    /// body, and the client's body timer is paused by our own full buffer.
    private var sendStallDeadline: UInt64? {
        guard sendBlockedSince != 0, timings.head == 0, sendStallTimeout > 0 else { return nil }
        return sendBlockedSince &+ sendStallTimeout
    }

    private func nextDeadline() -> UInt64? {
        var deadline: UInt64?
        func consider(_ value: UInt64) { deadline = min(deadline ?? .max, value) }
        if let total = totalDeadline { consider(total) }
        if let stall = sendStallDeadline { consider(stall) }
        if request.connectTimeout > 0, connection?.connecting == true { consider(timings.started &+ request.connectTimeout) }
        if let firstByte = firstByteDeadline { consider(firstByte) }
        if request.idleTimeout > 0, timings.head != 0, !paused, pump?.isWaiting != true { consider(lastActivity &+ request.idleTimeout) }
        return deadline
    }

    private func checkWatchdog() {
        guard delegate != nil, stopped == nil else { return }
        let now = monotonicNanoseconds()
        let elapsed = now &- timings.started
        if let total = totalDeadline, now >= total {
            return stop(UpstreamError(.totalTimeout, "upstream took longer than \(request.totalTimeout / 1_000_000) ms"))
        }
        if request.connectTimeout > 0, connection?.connecting == true, elapsed >= request.connectTimeout {
            return stop(UpstreamError(.connectTimeout, "connect to \(target.origin) timed out after \(request.connectTimeout / 1_000_000) ms"))
        }
        if let firstByte = firstByteDeadline, now >= firstByte {
            return stop(UpstreamError(.firstByteTimeout, "no response head within \(request.firstByteTimeout / 1_000_000) ms"))
        }
        if let stall = sendStallDeadline, now >= stall {
            return stop(.requestBodyStalled(after: sendStallTimeout))
        }
        if request.idleTimeout > 0, timings.head != 0, !paused, pump?.isWaiting != true, now &- lastActivity >= request.idleTimeout {
            return stop(UpstreamError(.idleTimeout, "no data from upstream for \(request.idleTimeout / 1_000_000) ms"))
        }
        armWatchdog()
    }
}
