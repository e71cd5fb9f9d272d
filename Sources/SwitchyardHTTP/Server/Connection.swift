import CLinux
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// One client connection: reads and parses requests, hands each to the responder, writes the
/// response, keeps the connection alive between requests. Requests on one connection are
/// answered in order; bytes of a pipelined request wait in the buffer until the response before
/// it has ended.
///
/// A request whose responder streams its body (`HTTPResponder.streamsBody`) is dispatched as soon
/// as its head is read; its body then arrives while the response is under way
/// (`StreamedBodyReceiver`, `RequestBodyStream`), and reading pauses whenever the stream's buffer
/// is full. A response that ends before such a body has arrived whole closes the connection.
///
/// Threading: owned by its `ServerLoop` and confined to that loop's thread. Members that are not
/// `private` are shared with the streamed-body half in `Connection+StreamedBody.swift`.
final class Connection: IOHandler {
    enum State {
        case head
        case body(ParsedHead, receivedAt: UInt64)
        case responding
        /// The last response is out and our side is shut down; the client's remaining bytes
        /// are read and dropped until it closes (or `lingerTimeout`), so that a client still
        /// sending (an oversize upload refused with 413) reads our answer instead of a reset.
        case lingering
        case closed
    }

    let fd: Int32
    unowned let server: ServerLoop
    var state: State = .head

    var inbound: [UInt8] = []
    private var body: [UInt8] = []
    private var chunked: ChunkedDecoder?
    private var outbound: [UInt8] = []
    private var outboundOffset = 0
    private var timer: TimerID?
    private var idleTimerArmed = false
    var keepAlive = true
    private var closeWhenFlushed = false
    private(set) var readingPaused = false
    var writer: ResponseWriter?
    /// Bytes of the server's body memory budget this connection's current request holds.
    private var reservedBodyBytes = 0
    private var bodyStartedAt: UInt64 = 0
    /// The streamed body of the request being answered, from dispatch until its response has
    /// ended (receiving while `isReceiving`); nil for a buffered request.
    var streamed: StreamedBodyReceiver?
    /// The streamed body's silence timer (the connection's own timer is the write timeout then).
    var bodyTimer: TimerID?
    private static let readChunk = 16 * 1024

    init(fd: Int32, server: ServerLoop) {
        self.fd = fd
        self.server = server
        inbound.reserveCapacity(Self.readChunk)
        arm(server.configuration.headerTimeout, "request_timeout", "No complete request head within the header timeout.")
    }

    var isIdle: Bool {
        if case .head = state { return inbound.isEmpty && outbound.count == outboundOffset }
        return false
    }

    var pendingOutboundBytes: Int { outbound.count - outboundOffset }

    // MARK: reading

    func handleIO(fd: Int32, events: IOEvents) {
        if case .lingering = state { return discardUntilClosed() }
        if events.contains(.writable) { flush() }
        if case .closed = state { return }
        if events.contains(.readable) || events.contains(.peerClosed) || events.contains(.hangup) || events.contains(.error) {
            if let streamed, streamed.isReceiving || readingPaused { return readStreamedBody(streamed, events: events) }
            readAvailable()
        }
    }

    private func readAvailable() {
        let scratch = server.readBuffer
        while !readingPaused {
            let count = recv(fd, scratch.baseAddress, scratch.count, 0)
            if count == 0 { return close() }  // the client closed (or half-closed) its side: it is gone
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                if errno == EINTR { continue }
                return close()
            }
            inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<count]))
            // Hand what arrived to the parser before reading more: a client that sends without
            // pause must not fill the buffer faster than a body is consumed.
            if count < scratch.count || inbound.count >= Self.readAhead { break }
        }
        process()
        // Bytes that arrive while a response is in progress (pipelined requests, or a client
        // that just keeps sending) wait in the buffer up to one head's worth; then reading stops
        // until the response has ended, so they cannot grow without bound.
        // (A streamed body just dispatched may have left its own bytes there: they are its to take.)
        if isResponding, !readingPaused, inbound.count > server.limits.maxHeaderBytes, streamed?.isReceiving != true { pauseReading() }
    }

    /// Bytes read before the parser runs again.
    private static let readAhead = 256 * 1024

    /// Parses and dispatches whatever complete requests the buffer holds.
    private func process() {
        while true {
            switch state {
            case .head:
                guard !inbound.isEmpty else { return }
                if timer == nil || idleTimerArmed {
                    arm(server.configuration.headerTimeout, "request_timeout", "No complete request head within the header timeout.")
                }
                let result = inbound.withUnsafeBytes { RequestHeadParser.parse($0, limits: server.parseLimits) }
                switch result {
                case .incomplete:
                    return
                case .failure(let error):
                    return fail(error)
                case .complete(let head, let consumed):
                    inbound.removeFirst(consumed)
                    let receivedAt = monotonicNanoseconds()
                    keepAlive = head.keepAlive
                    body = []
                    switch head.framing {
                    case .none:
                        dispatch(head, receivedAt: receivedAt)
                    case .contentLength(let length):
                        if server.responder.streamsBody(method: head.method, target: head.target, headers: head.headers, loop: server.loop) {
                            return beginStreamedBody(head, receivedAt: receivedAt, length: length)
                        }
                        guard length <= server.limits.maxBodyBytes else {
                            return fail(.bodyTooLarge(length: length, limit: server.limits.maxBodyBytes, target: head.target))
                        }
                        // The declared length is reserved as the bytes arrive, not up front: a
                        // client that declares a large body and goes quiet holds one step.
                        guard reserveBody(min(length, Self.reservationStep)) else { return refuseBody(head, receivedAt: receivedAt) }
                        body.reserveCapacity(length)
                        beginBody(head, receivedAt: receivedAt)
                    case .chunked:
                        if server.responder.streamsBody(method: head.method, target: head.target, headers: head.headers, loop: server.loop) {
                            return beginStreamedBody(head, receivedAt: receivedAt, length: nil)
                        }
                        chunked = ChunkedDecoder(maxBodyBytes: server.limits.maxBodyBytes, maxTrailerBytes: server.limits.maxHeaderBytes)
                        beginBody(head, receivedAt: receivedAt)
                    }
                }
            case .body(let head, let receivedAt):
                guard readBody(head) else { return checkBodyRate() }
                dispatch(head, receivedAt: receivedAt)
            case .responding, .lingering, .closed:
                return
            }
        }
    }

    private func beginBody(_ head: ParsedHead, receivedAt: UInt64) {
        state = .body(head, receivedAt: receivedAt)
        bodyStartedAt = receivedAt
        arm(server.configuration.bodyTimeout, "request_timeout", "The request body was not received within the body timeout.")
        if head.expectsContinue && inbound.isEmpty {
            enqueue(ServerLoop.continueResponse)
        }
    }

    /// Moves body bytes out of the inbound buffer; true once the body is complete.
    private func readBody(_ head: ParsedHead) -> Bool {
        if !inbound.isEmpty {
            arm(server.configuration.bodyTimeout, "request_timeout", "The request body was not received within the body timeout.")
        }
        switch head.framing {
        case .contentLength(let length):
            let take = min(length - body.count, inbound.count)
            body.append(contentsOf: inbound[..<take])
            inbound.removeFirst(take)
            guard coverBody(upTo: length) else {
                refuseBody(head, receivedAt: bodyStartedAt)
                return false
            }
            return body.count == length
        case .chunked:
            guard var decoder = chunked else { return true }
            let progress = inbound.withUnsafeBytes { decoder.feed($0, into: &body) }
            chunked = decoder
            guard coverBody(upTo: server.limits.maxBodyBytes) else {
                refuseBody(head, receivedAt: bodyStartedAt)
                return false
            }
            switch progress {
            case .needMore(let consumed):
                inbound.removeFirst(consumed)
                return false
            case .done(let consumed):
                inbound.removeFirst(consumed)
                chunked = nil
                return true
            case .failure(let error):
                fail(error)
                return false
            }
        case .none:
            return true
        }
    }

    // MARK: body limits

    func reserveBody(_ bytes: Int) -> Bool {
        guard bytes > 0 else { return true }
        guard server.bodyBudget.reserve(bytes) else { return false }
        reservedBodyBytes += bytes
        return true
    }

    static let reservationStep = 64 * 1024

    /// Keeps the reservation ahead of the body received so far: doubling (as the array grows),
    /// at least one step, never past `cap`. False when the budget is spent.
    private func coverBody(upTo cap: Int) -> Bool {
        guard body.count > reservedBodyBytes else { return true }
        let target = min(max(body.count, 2 * reservedBodyBytes, Self.reservationStep), cap)
        return reserveBody(target - reservedBodyBytes)
    }

    private func releaseBody() {
        server.bodyBudget.release(reservedBodyBytes)
        reservedBodyBytes = 0
    }

    /// The server's memory for request bodies is spoken for: 503, and the connection closes
    /// without reading the body.
    func refuseBody(_ head: ParsedHead, receivedAt: UInt64) {
        server.report(.bodyMemory, "request body refused: the memory for request bodies in flight is in use", [
            ("max_body_memory", String(server.configuration.maxBodyMemory)), ("in_use", String(server.bodyBudget.inUse)),
        ])
        state = .body(head, receivedAt: receivedAt)  // the error takes the route's shape
        fail(HTTPParseError(status: 503, code: "server_busy", message: "The gateway is receiving too many request bodies at once; retry shortly."))
    }

    /// A body still incomplete after `bodyRateGrace` must have averaged `minBodyRate` so far:
    /// a client dripping bytes just often enough to dodge the silence timeout is cut with 408.
    /// Checked only when a read leaves the body incomplete (never on a body that came whole).
    private func checkBodyRate() {
        let minimum = server.configuration.minBodyRate
        guard minimum > 0, case .body = state else { return }
        let elapsed = monotonicNanoseconds() &- bodyStartedAt
        guard elapsed > server.configuration.bodyRateGrace else { return }
        if UInt64(body.count) &* 1_000_000_000 < UInt64(minimum) &* elapsed {
            fail(HTTPParseError(
                status: 408, code: "request_timeout",
                message: "The request body arrived slower than \(minimum) bytes per second."))
        }
    }

    private func dispatch(_ head: ParsedHead, receivedAt: UInt64) {
        cancelTimer()
        state = .responding
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: body,
            requestID: RequestID.accept(head.headers["x-request-id"]), receivedAt: receivedAt)
        body = []
        // Pipelined bytes wait; stop reading if a client floods us while we answer.
        if inbound.count > server.limits.maxHeaderBytes { pauseReading() }
        let writer = ResponseWriter(connection: self, requestID: request.requestID, isHead: head.method == "HEAD")
        self.writer = writer
        server.responder.respond(to: request, writer: writer)
    }

    // MARK: responses (called by ResponseWriter)

    var keepsAlive: Bool { keepAlive && !server.draining }

    /// Writes `parts` in order (one writev when nothing is queued), queueing what the socket
    /// does not take now.
    func write(_ bytes: UnsafeRawBufferPointer) {
        if case .closed = state { return }
        if outbound.count == outboundOffset {
            // Nothing queued: try the socket directly; queue only what it does not take.
            while true {
                let count = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                if count == bytes.count { return }
                if count >= 0 { return queue(UnsafeRawBufferPointer(rebasing: bytes[count...])) }
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return queue(bytes) }
                return close()
            }
        }
        outbound.append(contentsOf: bytes)
    }

    private func queue(_ rest: UnsafeRawBufferPointer) {
        outbound.append(contentsOf: rest)
        try? server.loop.modify(fd: fd, events: [.readable, .peerClosed, .writable])
        arm(server.configuration.writeTimeout, nil, nil)
    }

    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) {
        writeVector([first, second])
    }

    private func writeVector(_ parts: [UnsafeRawBufferPointer]) {
        if case .closed = state { return }
        guard outbound.count == outboundOffset else {
            for part in parts { outbound.append(contentsOf: part) }
            return
        }
        var total = 0
        var vectors = parts.map { part -> iovec in
            total += part.count
            return iovec(iov_base: UnsafeMutableRawPointer(mutating: part.baseAddress), iov_len: part.count)
        }
        var written = 0
        while written < total {
            let count = vectors.withUnsafeMutableBufferPointer { writev(fd, $0.baseAddress, Int32($0.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                return close()
            }
            written += count
            if written == total { return }
            // Drop fully written vectors, trim the first partial one, and retry.
            var skip = count
            while let first = vectors.first, skip >= first.iov_len { skip -= first.iov_len; vectors.removeFirst() }
            if skip > 0, !vectors.isEmpty {
                vectors[0].iov_base = vectors[0].iov_base! + skip
                vectors[0].iov_len -= skip
            }
        }
        // Queue the unwritten tail and wait for the socket to drain.
        var skipped = 0
        for part in parts {
            if skipped + part.count <= written { skipped += part.count; continue }
            let from = max(0, written - skipped)
            outbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: part[from...]))
            skipped += part.count
        }
        try? server.loop.modify(fd: fd, events: [.readable, .peerClosed, .writable])
        arm(server.configuration.writeTimeout, nil, nil)
    }

    func enqueue(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    private func flush() {
        while outboundOffset < outbound.count {
            let count = outbound.withUnsafeBytes { send(fd, $0.baseAddress! + outboundOffset, $0.count - outboundOffset, Int32(MSG_NOSIGNAL)) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                return close()
            }
            outboundOffset += count
        }
        outbound.removeAll(keepingCapacity: outbound.capacity <= 256 * 1024)
        outboundOffset = 0
        try? server.loop.modify(fd: fd, events: readingPaused ? [.peerClosed] : [.readable, .peerClosed])
        if closeWhenFlushed { return lingeringClose() }
        if case .responding = state { cancelTimer() }
        writer?.drained()
    }

    /// The response to the current request is complete.
    func responseEnded() {
        writer = nil
        if let streamed { endStreamedBody(streamed) }
        releaseBody()
        // The write that ended the response may have found the client gone and closed us: a
        // closed connection must stay closed (re-arming it would leave a timer on a freed object).
        guard !isClosed else { return }
        guard keepsAlive else {
            closeWhenFlushed = true
            if outbound.count == outboundOffset { lingeringClose() }
            return
        }
        state = .head
        if readingPaused { resumeReading() }
        if inbound.isEmpty {
            if outbound.count == outboundOffset { armIdle() }
            if server.draining { close() }
            return
        }
        process()
    }

    // MARK: errors, timeouts, closing

    /// Answers a request the server refuses by itself, then closes.
    func fail(_ error: HTTPParseError) {
        var target = error.target
        if case .body(let head, _) = state { target = head.target }
        let path = target.map { String($0.prefix { $0 != "?" }) }
        keepAlive = false
        state = .responding
        let writer = ResponseWriter(connection: self, requestID: RequestID.generate(), isHead: false)
        self.writer = writer
        let rendered = server.configuration.renderError(error.status, error.message, error.code, path)
        writer.send(status: error.status, headers: HTTPHeaders([("Content-Type", rendered.contentType)]), body: rendered.body)
    }

    /// One timer per connection: header, body, idle or write timeout, whichever phase it is in.
    /// A header or body timeout answers 408; any other closes the connection.
    /// Timer callbacks hold the connection weakly: a timer that outlives it (however it came to
    /// be armed) finds nothing to do instead of reading freed memory.
    private func arm(_ nanoseconds: UInt64, _ code: String?, _ message: String?) {
        cancelTimer()
        guard !isClosed else { return }
        timer = server.loop.schedule(after: nanoseconds) { [weak self] in
            guard let self else { return }
            timer = nil
            if let code, let message, !isResponding, !isClosed {
                fail(HTTPParseError(status: 408, code: code, message: message))
            } else {
                close()
            }
        }
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    private var isResponding: Bool {
        if case .responding = state { return true }
        return false
    }

    private func armIdle() {
        cancelTimer()
        guard !isClosed else { return }
        timer = server.loop.schedule(after: server.configuration.idleTimeout) { [weak self] in
            self?.timer = nil
            self?.close()
        }
        idleTimerArmed = true
    }

    func cancelTimer() {
        if let timer { server.loop.cancel(timer) }
        timer = nil
        idleTimerArmed = false
    }

    func pauseReading() {
        readingPaused = true
        try? server.loop.modify(fd: fd, events: outbound.count == outboundOffset ? [.peerClosed] : [.peerClosed, .writable])
    }

    func resumeReading() {
        readingPaused = false
        try? server.loop.modify(fd: fd, events: outbound.count == outboundOffset ? [.readable, .peerClosed] : [.readable, .peerClosed, .writable])
    }

    /// Ends a connection the server decided to close after answering: shut down our sending
    /// side, then drain what the client still sends (closing a socket with unread input makes
    /// the kernel send a reset, which can destroy the response before the client reads it).
    private func lingeringClose() {
        guard !isClosed else { return }
        if case .lingering = state { return }
        state = .lingering
        shutdown(fd, Int32(SHUT_WR))
        inbound = []
        try? server.loop.modify(fd: fd, events: [.readable, .peerClosed])
        cancelTimer()
        timer = server.loop.schedule(after: server.configuration.lingerTimeout) { [weak self] in
            self?.timer = nil
            self?.close()
        }
        discardUntilClosed()
    }

    private func discardUntilClosed() {
        let scratch = server.readBuffer
        while true {
            let count = recv(fd, scratch.baseAddress, scratch.count, 0)
            if count > 0 { continue }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return }
            return close()  // the client closed, or the socket failed
        }
    }

    func close() {
        if case .closed = state { return }
        state = .closed
        cancelTimer()
        server.loop.unregister(fd: fd)
        Glibc.close(fd)
        outbound = []
        inbound = []
        releaseBody()
        if let bodyTimer { server.loop.cancel(bodyTimer) }
        bodyTimer = nil
        let stream = streamed?.stream
        streamed = nil
        stream?.stop(.clientGoneMidBody)
        let active = writer
        writer = nil
        // The writer's owner hears first (and stops its work); a consumer still waiting on the
        // body then reads the failure.
        active?.connectionClosed()
        stream?.notifyIfWaiting()
        stream?.onReadable = nil
        server.connectionClosed(self)
    }
}
