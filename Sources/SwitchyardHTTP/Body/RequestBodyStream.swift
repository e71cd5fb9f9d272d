/// The body of a request whose responder asked for it as a stream (`HTTPResponder.streamsBody`):
/// the request is dispatched as soon as its head is read, and the body arrives here while the
/// responder works. Chunked framing is already removed.
///
/// Backpressure: the bytes wait in one bounded buffer. It starts small (one 64 KiB step, or the
/// whole body when that is less) and doubles as it fills, up to `capacity` (the server's
/// `streamedBodyBufferBytes`, or the declared length when that is less); every byte of it is
/// reserved in the server's body memory budget (`reservedBytes`), so a client that declares a
/// body and goes quiet holds little. When the buffer is full and cannot grow (at `capacity`,
/// or the budget is spent) the connection stops reading the socket, so TCP flow control slows
/// the client down; once the consumer has drained it to `lowWaterMark`, reading resumes. The
/// body never costs more memory than `capacity`, however large it is.
///
/// `Expect: 100-continue`: the client is told to go on (100 Continue) at the consumer's first
/// read, not at dispatch, so a request refused without reading its body (404, 413) never invites
/// the upload; never once the response has started, and not when body bytes already came.
///
/// Pulling: `read(into:)` copies what is buffered into the caller's buffer; `withAvailable`
/// lends the buffered bytes without a copy and lets the caller say how many it took. Both answer
/// `.wait` when nothing is buffered yet; `onReadable` is then called once when a read would
/// answer something else (bytes, the end, or a failure).
///
/// Failures end the stream with `.failed(error)`, and any bytes still buffered are dropped: the
/// client went away mid-body (499), broken chunked framing (400), a body past
/// `HTTPServerConfiguration.maxStreamedBodyBytes` (413), a body silent past the body timeout or
/// slower than the minimum rate (408), or the response ended before the body was read (500).
/// `error.status` and `error.message` suit an answer to the client when the responder has not
/// started one. After any failure the connection closes once the response has ended.
///
/// Threading: confined to the loop of the request's connection (`ResponseWriter.loop`): create
/// nothing, call everything and receive every callback there. (`Sendable` only so that it can
/// ride in an `HTTPRequest`.) Lifetime: the connection holds the stream until the response has
/// ended; the buffer is freed then (or at the failure) even if the consumer keeps the object.
public final class RequestBodyStream: @unchecked Sendable {
    public enum Read: Equatable, Sendable {
        /// This many bytes were read (or, from `withAvailable`, taken), at least 1.
        case bytes(Int)
        /// Nothing buffered now; `onReadable` follows when there is.
        case wait
        /// The whole body has been read.
        case end
        case failed(HTTPParseError)
    }

    private enum Phase {
        case receiving
        /// Every byte arrived; the buffer may still hold some.
        case received
        case failed(HTTPParseError)
    }

    /// The request's Content-Length; nil for a chunked body.
    public let declaredLength: Int?
    /// Body bytes received from the client so far (decoded).
    public private(set) var receivedBytes = 0
    /// Body bytes handed to the consumer so far.
    public private(set) var consumedBytes = 0
    /// The most the buffer ever held: never more than `capacity` (tests assert the bound).
    public private(set) var peakBufferedBytes = 0
    /// Times the buffer filled and the connection stopped reading the client.
    public private(set) var stallCount = 0
    /// The most the buffer may grow to: reading the socket stops when it is full.
    public let capacity: Int
    /// The buffer's size now, all of it reserved in the server's body memory budget: from one
    /// step up to `capacity`, as it fills. 0 once the buffer has been freed.
    public var reservedBytes: Int { freed ? 0 : ring.capacity }
    /// Reading the socket resumes once the buffer holds this many bytes or fewer (half its size).
    public var lowWaterMark: Int { ring.capacity / 2 }

    /// Called on the loop when a read would no longer answer `.wait`, once per `.wait` answered
    /// (and once for the first bytes, if none were buffered at dispatch). Read until `.wait`
    /// before relying on it. The connection sets it to nil once the response has ended (after a
    /// last call, if one is owed), so the closure may hold its consumer strongly.
    public var onReadable: (() -> Void)?

    private var ring: ByteRing
    private var freed = false
    private var phase = Phase.receiving
    /// The consumer heard `.wait` (or has not read yet) and is owed an `onReadable`.
    private var waiting = true
    /// The connection stopped reading because the buffer was full; `onDrained` tells it when
    /// to go on.
    private var stalled = false
    var onDrained: (() -> Void)?
    /// Called once, at the consumer's first read (the connection then sends 100 Continue);
    /// cleared when the stream ends.
    var onFirstRead: (() -> Void)?

    /// `initialBytes` (1...capacity): the buffer's first size, already reserved by the connection.
    init(declaredLength: Int?, capacity: Int, initialBytes: Int) {
        self.declaredLength = declaredLength
        self.capacity = capacity
        ring = ByteRing(capacity: initialBytes)
    }

    deinit {
        if !freed { ring.deallocate() }
    }

    /// Bytes buffered now.
    public var bufferedBytes: Int { ring.count }

    /// The failure that ended the stream, if one did.
    public var failure: HTTPParseError? {
        if case .failed(let error) = phase { return error }
        return nil
    }

    /// Copies buffered bytes into `buffer` (not empty).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Read {
        if onFirstRead != nil { firstRead() }
        if ring.count > 0, !buffer.isEmpty {
            let count = ring.read(into: buffer)
            consumed(count)
            return .bytes(count)
        }
        return answerWhenEmpty()
    }

    /// Lends the buffered bytes that are contiguous in memory (valid during the call only) to
    /// `body`, which returns how many it took (0...count); answers `.bytes(taken)`, or `.wait`,
    /// `.end`, `.failed` without calling `body` when nothing is buffered. Taking 0 leaves the
    /// bytes for later, and then no `onReadable` is owed: call again when ready.
    public func withAvailable(_ body: (UnsafeRawBufferPointer) -> Int) -> Read {
        if onFirstRead != nil { firstRead() }
        guard ring.count > 0 else { return answerWhenEmpty() }
        let taken = min(max(0, body(ring.readable)), ring.readable.count)
        ring.didRead(taken)
        consumed(taken)
        return .bytes(taken)
    }

    private func firstRead() {
        let callback = onFirstRead
        onFirstRead = nil
        callback?()
    }

    private func answerWhenEmpty() -> Read {
        switch phase {
        case .receiving:
            waiting = true
            return .wait
        case .received: return .end
        case .failed(let error): return .failed(error)
        }
    }

    private func consumed(_ count: Int) {
        consumedBytes += count
        if stalled, ring.count <= lowWaterMark {
            stalled = false
            onDrained?()
        }
    }

    // MARK: the connection's side

    var isReceiving: Bool {
        if case .receiving = phase { return true }
        return false
    }

    var isFull: Bool { !freed && ring.free == 0 }

    /// The connection stopped reading on a full buffer: it hears `onDrained` at the low-water mark.
    func stall() {
        stalled = true
        stallCount += 1
    }
    var freeSpace: Int { freed ? 0 : ring.free }

    /// The buffer may grow: it is below `capacity`.
    var canGrow: Bool { !freed && ring.capacity < capacity }

    /// Enlarges the buffer to `bytes` (more than now, at most `capacity`), which the connection
    /// has reserved; the buffered bytes move along.
    func grow(to bytes: Int) {
        guard !freed else { return }
        ring.grow(to: bytes)
    }

    /// Where the connection may receive body bytes straight from the socket.
    var receiveRegion: UnsafeMutableRawBufferPointer { ring.writable }

    /// `count` bytes were written into `receiveRegion`.
    func didReceive(_ count: Int) {
        ring.didWrite(count)
        receivedBytes += count
        if ring.count > peakBufferedBytes { peakBufferedBytes = ring.count }
    }

    /// Copies in body bytes; all of them fit (the caller took at most `freeSpace`).
    func receive(_ bytes: UnsafeRawBufferPointer) {
        let copied = ring.write(bytes)
        receivedBytes += copied
        if ring.count > peakBufferedBytes { peakBufferedBytes = ring.count }
    }

    func finishReceiving() {
        if case .receiving = phase { phase = .received }
    }

    /// Ends the stream with `error` and frees the buffer, unless the consumer already had the
    /// whole body (then reads go on answering `.end`). Does not call `onReadable`: the caller
    /// does, through `notifyIfWaiting`, once its own state is consistent.
    func stop(_ error: HTTPParseError) {
        if case .received = phase, ring.count == 0 {
            // Delivered in full: nothing to fail.
        } else if case .failed = phase {
            // Already ended.
        } else {
            phase = .failed(error)
        }
        stalled = false
        onDrained = nil
        onFirstRead = nil
        if !freed {
            freed = true
            ring.removeAll()
            ring.deallocate()
        }
    }

    /// Calls `onReadable` if the consumer is owed it and a read would now answer something
    /// other than `.wait`. The consumer may end the response from inside.
    func notifyIfWaiting() {
        guard waiting, let callback = onReadable else { return }
        if ring.count == 0, case .receiving = phase { return }
        waiting = false
        callback()
    }
}

extension HTTPParseError {
    static func bodyTooLarge(length: Int, limit: Int, target: String?) -> HTTPParseError {
        HTTPParseError(
            status: 413, code: "body_too_large", message: "Request body of \(length) bytes is larger than the limit of \(limit) bytes.", target: target)
    }

    static let clientGoneMidBody = HTTPParseError(
        status: 499, code: "client_closed_request", message: "The client closed the connection before sending the whole request body.")

    static let responseEndedMidBody = HTTPParseError(
        status: 500, code: "response_ended", message: "The response ended before the request body was read.")
}
