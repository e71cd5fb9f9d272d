import SwitchyardPosix

/// Answers one request: either `send` (a whole response with Content-Length), or `startStream`,
/// any number of `write`s (on the wire immediately: SSE needs per-event flushes), then `finish`.
/// A stream is chunked (each write one chunk), or, given a `contentLength`, raw bytes up to that
/// length (forwarding an upstream's Content-Length body as it arrives). Every response carries
/// X-Request-ID and Date; a response that ends the connection says `Connection: close`. A status
/// that has no body (1xx, 204, 304) and any answer to HEAD write no body bytes; 1xx and 204 carry
/// neither Content-Length nor Transfer-Encoding.
///
/// Threading: confined to the connection's event loop (`loop`); call it from there, possibly
/// later (after an upstream answers). Calls after the client went away are ignored.
public final class ResponseWriter {
    public let loop: EventLoop
    public let requestID: String
    private weak var connection: Connection?
    private let isHead: Bool
    /// HEAD, or a status without a body: writes are dropped.
    private var bodyless = false
    /// What a Content-Length stream still owes; nil for a chunked stream.
    private var remainingLength: Int?
    /// A write went past the declared length (the excess was dropped).
    private var overflowed = false
    private var started = false
    private var ended = false
    private var closed = false

    /// Why a response ended before its owner ended it.
    public enum CloseReason: Sendable {
        /// The client went away (or its connection failed): nothing written reaches it any more.
        case clientGone
        /// The server's shutdown grace ran out with this response still open. The connection is
        /// still up during the call: end the response now (an error answer, or a stream's error
        /// event and `finish`), and stop its work; the server closes the connection right after.
        case shutdown
    }

    /// Called once if the response has not ended when the client goes away or the shutdown grace
    /// runs out. Without it, a response open at the end of the grace is cut with the connection.
    public var onClose: ((CloseReason) -> Void)?

    init(connection: Connection, requestID: String, isHead: Bool) {
        self.connection = connection
        self.loop = connection.server.loop
        self.requestID = requestID
        self.isHead = isHead
    }

    /// The client went away; nothing written from now on reaches it.
    public var isClosed: Bool { closed }

    /// The response head has been written (by `send` or `startStream`).
    var hasStarted: Bool { started }

    /// True while more than 256 KiB wait in the connection's send buffer: a streaming producer
    /// should slow down, and may set `onDrained` to hear when to go on.
    public var isBackpressured: Bool { (connection?.pendingOutboundBytes ?? 0) > Self.highWater }

    /// Bytes written but not yet taken by the client.
    public var pendingBytes: Int { connection?.pendingOutboundBytes ?? 0 }
    static let highWater = 256 * 1024

    /// Called once, on the loop, when the send buffer has been written out completely (cleared
    /// before the call; set it again to hear about the next time).
    public var onDrained: (() -> Void)?

    func drained() {
        guard let callback = onDrained else { return }
        onDrained = nil
        callback()
    }

    public func send(status: Int, headers: HTTPHeaders, body: [UInt8]) {
        guard !started, let connection else { return }
        started = true
        ended = true
        var head = ResponseHead.empty
        swap(&head, &connection.server.headBuffer)
        let noBody = Self.hasNoBody(status)
        head.build(
            status: status, headers: headers, requestID: requestID, framing: noBody ? .none : .contentLength(body.count),
            keepAlive: connection.keepsAlive, date: connection.server.date())
        head.bytes.withUnsafeBytes { headBytes in
            if isHead || noBody || body.isEmpty {
                connection.write(headBytes)
            } else {
                body.withUnsafeBytes { connection.write(headBytes, $0) }
            }
        }
        connection.server.headBuffer = head
        connection.responseEnded()
    }

    /// Sends the head of a streamed response. Without `contentLength` the body is chunked; with
    /// it, the head says `Content-Length: contentLength` and the writes are the body's raw bytes:
    /// bytes past that length are dropped, and a `finish` before it (or after an overflow)
    /// closes the connection, so the client sees the body cut short and never a wrong framing.
    /// For a 304 or a HEAD, `contentLength` is only announced (what the body would have been).
    public func startStream(status: Int, headers: HTTPHeaders, contentLength: Int? = nil) {
        guard !started, let connection else { return }
        started = true
        bodyless = isHead || Self.hasNoBody(status)
        let framing: ResponseHead.Framing
        if status < 200 || status == 204 {
            framing = .none
        } else if let contentLength, contentLength >= 0 {
            framing = .contentLength(contentLength)
            if !bodyless { remainingLength = contentLength }
        } else {
            framing = status == 304 ? .none : .chunked
        }
        var head = ResponseHead.empty
        swap(&head, &connection.server.headBuffer)
        head.build(status: status, headers: headers, requestID: requestID, framing: framing, keepAlive: connection.keepsAlive, date: connection.server.date())
        head.bytes.withUnsafeBytes { connection.write($0) }
        connection.server.headBuffer = head
    }

    /// One chunk of a stream (or raw bytes of a Content-Length stream), written now. Empty writes
    /// are skipped (an empty chunk would end the body).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard started, !ended, !bytes.isEmpty, !bodyless, let connection else { return }
        if let remaining = remainingLength {
            let take = min(bytes.count, remaining)
            if take < bytes.count { overflowed = true }
            if take > 0 { connection.write(UnsafeRawBufferPointer(rebasing: bytes[..<take])) }
            remainingLength = remaining - take
            return
        }
        // Size line, data and CRLF composed in the loop's reused buffer: one send, no allocation.
        var size = ChunkSize()
        size.encode(bytes.count)
        // Take the buffer out while composing (a shared copy would be copied on write).
        var chunk: [UInt8] = []
        swap(&chunk, &connection.server.chunkBuffer)
        chunk.removeAll(keepingCapacity: true)
        size.withBytes { chunk.append(contentsOf: $0) }
        chunk.append(contentsOf: bytes)
        chunk.append(13)
        chunk.append(10)
        chunk.withUnsafeBytes { connection.write($0) }
        connection.server.chunkBuffer = chunk
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Ends a stream. A Content-Length stream short of its length (or past it) closes the
    /// connection once the bytes written are out.
    public func finish() {
        guard started, !ended, let connection else { return }
        ended = true
        if let remaining = remainingLength {
            if remaining > 0 || overflowed { connection.keepAlive = false }
        } else if !bodyless {
            ServerLoop.lastChunk.withUnsafeBytes { connection.write($0) }
        }
        connection.responseEnded()
    }

    /// Bytes a Content-Length stream still owes (0 once complete); nil for other responses.
    public var remainingContentLength: Int? { remainingLength }

    /// 1xx, 204 and 304 responses never have a body (RFC 9110 §6.4.1).
    static func hasNoBody(_ status: Int) -> Bool {
        status < 200 || status == 204 || status == 304
    }

    /// Drops the connection without ending the response: the client sees the body cut short.
    /// For test doubles that simulate a failing upstream.
    public func abort() {
        guard !ended, let connection else { return }
        ended = true
        onClose = nil
        connection.close()
    }

    func connectionClosed() {
        guard !closed else { return }
        closed = true
        onDrained = nil
        if !ended {
            ended = true
            let callback = onClose
            onClose = nil
            callback?(.clientGone)
        }
    }

    /// The shutdown grace ran out: the owner ends the response while the connection is still up.
    func shutdownGraceExpired() {
        guard !ended, !closed, let callback = onClose else { return }
        onClose = nil
        callback(.shutdown)
    }
}

/// "<hex size>\r\n" without allocating.
struct ChunkSize {
    private var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private var count = 0

    mutating func encode(_ value: Int) {
        var digits = 1
        var rest = value >> 4
        while rest > 0 { digits += 1; rest >>= 4 }
        count = digits + 2
        withUnsafeMutableBytes(of: &storage) { raw in
            var remaining = value
            for index in stride(from: digits - 1, through: 0, by: -1) {
                let digit = UInt8(remaining & 0xF)
                raw[index] = digit < 10 ? 0x30 + digit : 0x57 + digit
                remaining >>= 4
            }
            raw[digits] = 13
            raw[digits + 1] = 10
        }
    }

    func withBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        withUnsafeBytes(of: storage) { body(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
