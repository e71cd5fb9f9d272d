import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The streamed-body half of `Connection`: a request dispatched at its head whose body arrives
/// while the response is under way. Bytes go from the socket into the stream's bounded buffer
/// (straight into it for a Content-Length body, through `inbound` and the chunked decoder
/// otherwise). The buffer starts at one reservation step and doubles whenever it fills, as long
/// as the body memory budget has room, up to its capacity; a full buffer that cannot grow pauses
/// reading until the consumer drains it to its low-water mark.
///
/// Threading: the connection's loop. Callbacks into the consumer (`onReadable`) are made last in
/// every path here, since the consumer may end the response (and so change the connection's
/// state) from inside them.
extension Connection {
    /// Refuses what cannot be streamed (a declared length over the limit: 413; no memory for the
    /// buffer's first step: 503), else dispatches the request at once with its `bodyStream`.
    func beginStreamedBody(_ head: ParsedHead, receivedAt: UInt64, length: Int?) {
        let configuration = server.configuration
        if let length, length > configuration.maxStreamedBodyBytes {
            return fail(.bodyTooLarge(length: length, limit: configuration.maxStreamedBodyBytes, target: head.target))
        }
        // Never more buffer than the body: a declared length smaller than the buffer caps it.
        let capacity = min(configuration.streamedBodyBufferBytes, length ?? .max)
        let initial = min(capacity, Self.reservationStep)
        guard reserveBody(initial) else { return refuseBody(head, receivedAt: receivedAt) }
        let stream = RequestBodyStream(declaredLength: length, capacity: capacity, initialBytes: initial)
        let framing: StreamedBodyReceiver.Framing =
            if let length { .contentLength(remaining: length) } else {
                .chunked(ChunkedDecoder(maxBodyBytes: configuration.maxStreamedBodyBytes, maxTrailerBytes: server.limits.maxHeaderBytes))
            }
        let receiver = StreamedBodyReceiver(stream: stream, framing: framing, startedAt: receivedAt)
        // Body bytes that came with the head go in first, so the responder's first read finds
        // them; framing already broken there is refused like a buffered body's.
        let expectsContinue = head.expectsContinue && inbound.isEmpty
        var progress = inbound.isEmpty ? .more : receiver.take(from: &inbound)
        while case .more = progress, !inbound.isEmpty, stream.isFull, growStreamBuffer(stream) {
            progress = receiver.take(from: &inbound)
        }
        if case .failed(let error) = progress {
            stream.stop(error)
            state = .body(head, receivedAt: receivedAt)  // the error takes the route's shape
            return fail(error)
        }
        cancelTimer()
        state = .responding
        streamed = receiver
        stream.onDrained = { [weak self] in self?.streamedBodyDrained() }
        // The client waits for a 100 before sending the body: it comes at the consumer's first
        // read, so a request answered without reading (404, 413) never invites the upload.
        if expectsContinue { stream.onFirstRead = { [weak self] in self?.continueStreamedBody() } }
        if case .complete = progress {
            bodyReceived(receiver)
        } else {
            armBodyTimer(receiver)
            if stream.isFull, !growStreamBuffer(stream) { pauseForStream(receiver) }
        }
        let request = HTTPRequest(
            method: head.method, target: head.target, version: head.version, headers: head.headers, body: [], bodyStream: stream,
            requestID: RequestID.accept(head.headers["x-request-id"]), receivedAt: receivedAt)
        let writer = ResponseWriter(connection: self, requestID: request.requestID, isHead: head.method == "HEAD")
        self.writer = writer
        server.responder.respond(to: request, writer: writer)
    }

    // MARK: reading

    /// Readiness while a streamed body is being received, or while reading is paused during its
    /// response (a full buffer, a failed body, pipelined bytes waiting).
    func readStreamedBody(_ receiver: StreamedBodyReceiver, events: IOEvents) {
        guard !readingPaused else {
            // A reset ends the connection now. A peer that only shut down its sending side would
            // be reported again on every loop turn (level-triggered) until we read: stop watching
            // for it; the read after resuming (or the lingering close) finds the end.
            if events.contains(.hangup) || events.contains(.error) { return close() }
            if events.contains(.peerClosed) { try? server.loop.modify(fd: fd, events: pendingOutboundBytes > 0 ? [.writable] : []) }
            return
        }
        pumpStreamedBody(receiver)
    }

    /// Moves what `inbound` holds into the stream, then reads the socket until it has nothing
    /// more, the body is complete, or the stream's buffer is full.
    func pumpStreamedBody(_ receiver: StreamedBodyReceiver) {
        let stream = receiver.stream
        var progress = StreamedBodyReceiver.Progress.more
        var arrived = false
        reading: while true {
            if !inbound.isEmpty {
                progress = receiver.take(from: &inbound)
                guard case .more = progress else { break }
            }
            if stream.isFull {
                // Grown: move what `inbound` holds first (the socket may have nothing more).
                if growStreamBuffer(stream) { continue }
                break
            }
            var count: Int
            if inbound.isEmpty, let region = receiver.directRegion {
                count = recv(fd, region.baseAddress, region.count, 0)
                if count > 0 {
                    arrived = true
                    progress = receiver.didReceiveDirect(count)
                    guard case .more = progress else { break }
                    continue
                }
            } else {
                // Chunked: one read's worth of raw bytes at a time, decoded before the next.
                let scratch = server.readBuffer
                count = recv(fd, scratch.baseAddress, scratch.count, 0)
                if count > 0 {
                    arrived = true
                    inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<count]))
                    continue
                }
            }
            if count == 0 { return close() }  // the client went away mid-body; close fails the stream
            switch errno {
            case EAGAIN, EWOULDBLOCK: break reading
            case EINTR: continue
            default: return close()
            }
        }
        let now = monotonicNanoseconds()
        if arrived { receiver.arrived(at: now) }
        switch progress {
        case .complete: bodyReceived(receiver)
        case .failed(let error): failStreamedBody(receiver, error)
        case .more:
            if stream.isFull {
                pauseForStream(receiver)
            } else if arrived {
                checkStreamedBodyRate(receiver, now: now)
            }
        }
        stream.notifyIfWaiting()
    }

    // MARK: 100 Continue

    /// The consumer reads the body for the first time: tell a client that sent
    /// `Expect: 100-continue` to go on. Not once the response has started (its head is the
    /// final answer), nor when body bytes came anyway (the client did not wait).
    private func continueStreamedBody() {
        guard let streamed, streamed.isReceiving, streamed.stream.receivedBytes == 0, let writer, !writer.hasStarted, !isClosed else { return }
        enqueue(ServerLoop.continueResponse)
    }

    // MARK: backpressure

    /// The stream's buffer is full: double it (at least one reservation step, at most its
    /// capacity) if the body memory budget has room. False leaves it as it is: reading pauses
    /// until the consumer drains it, and the next time it fills the budget is asked again.
    private func growStreamBuffer(_ stream: RequestBodyStream) -> Bool {
        guard stream.canGrow else { return false }
        let size = stream.reservedBytes
        let target = min(stream.capacity, max(2 * size, Self.reservationStep))
        guard reserveBody(target - size) else { return false }
        stream.grow(to: target)
        return true
    }

    private func pauseForStream(_ receiver: StreamedBodyReceiver) {
        pauseReading()
        receiver.paused(at: monotonicNanoseconds())
        receiver.stream.stall()
    }

    /// The consumer drained the buffer to its low-water mark: read again. Called from inside
    /// the consumer's read, so bytes already in `inbound` are moved on a later turn.
    private func streamedBodyDrained() {
        guard let streamed, streamed.isReceiving, readingPaused, !isClosed else { return }
        streamed.resumed(at: monotonicNanoseconds())
        resumeReading()
        armBodyTimer(streamed)
        if !inbound.isEmpty {
            server.loop.schedule(after: 0) { [weak self] in
                guard let self, let receiver = self.streamed, receiver.isReceiving, !readingPaused, !isClosed else { return }
                pumpStreamedBody(receiver)
            }
        }
    }

    // MARK: the end of the body

    private func bodyReceived(_ receiver: StreamedBodyReceiver) {
        receiver.isReceiving = false
        receiver.stream.finishReceiving()
        cancelBodyTimer()
        // Bytes after the body belong to the next request: they wait, as after a buffered body.
        if inbound.count > server.limits.maxHeaderBytes { pauseReading() }
    }

    /// The body cannot go on (framing, limit, timeout): the stream fails, nothing more is read,
    /// and the connection closes once the responder has ended the response.
    func failStreamedBody(_ receiver: StreamedBodyReceiver, _ error: HTTPParseError) {
        receiver.isReceiving = false
        receiver.stream.stop(error)
        cancelBodyTimer()
        keepAlive = false
        if !readingPaused { pauseReading() }
    }

    /// The response has ended. A body not yet received whole leaves unread bytes in the
    /// connection: it cannot carry another request, and closes (lingering) once flushed.
    func endStreamedBody(_ receiver: StreamedBodyReceiver) {
        streamed = nil
        cancelBodyTimer()
        if receiver.isReceiving {
            receiver.isReceiving = false
            keepAlive = false
        }
        let stream = receiver.stream
        stream.stop(.responseEndedMidBody)
        // A transport still waiting on the body hears of it on the next turn, not from inside
        // the response's end; then the stream lets go of the consumer's callback.
        server.loop.schedule(after: 0) {
            stream.notifyIfWaiting()
            stream.onReadable = nil
        }
    }

    // MARK: body timeout and rate

    /// The silence timer: fires `bodyTimeout` after the last arrival, unless reading is paused
    /// on our side (the timer is re-armed when it resumes).
    private func armBodyTimer(_ receiver: StreamedBodyReceiver) {
        cancelBodyTimer()
        let deadline = receiver.lastActivity &+ server.configuration.bodyTimeout
        let now = monotonicNanoseconds()
        bodyTimer = server.loop.schedule(after: deadline > now ? deadline - now : 0) { [weak self] in
            guard let self else { return }
            bodyTimer = nil
            guard let streamed, streamed.isReceiving, !streamed.isPaused, !isClosed else { return }
            if monotonicNanoseconds() &- streamed.lastActivity >= server.configuration.bodyTimeout {
                failStreamedBody(streamed, HTTPParseError(
                    status: 408, code: "request_timeout", message: "The request body was not received within the body timeout."))
                streamed.stream.notifyIfWaiting()
            } else {
                armBodyTimer(streamed)
            }
        }
    }

    private func cancelBodyTimer() {
        if let bodyTimer { server.loop.cancel(bodyTimer) }
        bodyTimer = nil
    }

    /// As for a buffered body, but over the time reading was not paused on our side.
    private func checkStreamedBodyRate(_ receiver: StreamedBodyReceiver, now: UInt64) {
        let minimum = server.configuration.minBodyRate
        guard minimum > 0 else { return }
        let active = receiver.activeTime(at: now)
        guard active > server.configuration.bodyRateGrace else { return }
        if UInt64(receiver.stream.receivedBytes) &* 1_000_000_000 < UInt64(minimum) &* active {
            failStreamedBody(receiver, HTTPParseError(
                status: 408, code: "request_timeout", message: "The request body arrived slower than \(minimum) bytes per second."))
        }
    }
}
