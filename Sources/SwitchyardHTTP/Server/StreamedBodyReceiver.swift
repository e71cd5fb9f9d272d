/// The receiving half of one streamed request body: takes the body's framing off the bytes the
/// connection reads (Content-Length or chunked) and puts the data in the stream's bounded
/// buffer, never more than it has room for; and keeps the body's clocks, which stop while the
/// connection has paused reading (a full buffer is our pause, not the client's silence).
///
/// The connection owns it from dispatch until the response has ended, and does the socket I/O.
/// Threading: the connection's loop.
final class StreamedBodyReceiver {
    enum Framing {
        case contentLength(remaining: Int)
        case chunked(ChunkedDecoder)
    }

    enum Progress {
        case more
        case complete
        case failed(HTTPParseError)
    }

    let stream: RequestBodyStream
    private var framing: Framing
    /// True until the last body byte arrived or the body failed.
    var isReceiving = true

    // Clocks, in monotonic nanoseconds.
    let startedAt: UInt64
    private(set) var lastActivity: UInt64
    private var pausedAt: UInt64 = 0
    private var pausedTotal: UInt64 = 0

    init(stream: RequestBodyStream, framing: Framing, startedAt: UInt64) {
        self.stream = stream
        self.framing = framing
        self.startedAt = startedAt
        lastActivity = startedAt
    }

    // MARK: framing

    /// Moves body bytes from the front of `inbound` (raw bytes read after the head) into the
    /// stream, as far as it has room; the bytes after the body stay (a pipelined request).
    func take(from inbound: inout [UInt8]) -> Progress {
        switch framing {
        case .contentLength(let remaining):
            let take = min(remaining, inbound.count, stream.freeSpace)
            guard take > 0 else { return remaining == 0 ? .complete : .more }
            inbound.withUnsafeBytes { stream.receive(UnsafeRawBufferPointer(rebasing: $0[..<take])) }
            inbound.removeFirst(take)
            framing = .contentLength(remaining: remaining - take)
            return remaining == take ? .complete : .more
        case .chunked(var decoder):
            var offset = 0
            var progress = Progress.more
            inbound.withUnsafeBytes { bytes in
                decoding: while true {
                    // Framing steps go on when the buffer is full; data waits for room.
                    switch decoder.next(bytes, from: &offset, maxData: stream.freeSpace) {
                    case .data(let range): stream.receive(UnsafeRawBufferPointer(rebasing: bytes[range]))
                    case .needMore: break decoding
                    case .done:
                        progress = .complete
                        break decoding
                    case .failure(let error):
                        progress = .failed(error)
                        break decoding
                    }
                }
            }
            framing = .chunked(decoder)
            if case .failed = progress { return progress }
            inbound.removeFirst(offset)
            return progress
        }
    }

    /// Where recv may put body bytes directly, skipping the connection's buffer: only for a
    /// Content-Length body (chunked framing must be decoded first), never past its end.
    var directRegion: UnsafeMutableRawBufferPointer? {
        guard case .contentLength(let remaining) = framing else { return nil }
        let region = stream.receiveRegion
        return UnsafeMutableRawBufferPointer(rebasing: region[..<(region.startIndex + min(region.count, remaining))])
    }

    /// `count` bytes were received into `directRegion`.
    func didReceiveDirect(_ count: Int) -> Progress {
        guard case .contentLength(let remaining) = framing else { return .more }
        stream.didReceive(count)
        framing = .contentLength(remaining: remaining - count)
        return remaining == count ? .complete : .more
    }

    // MARK: clocks

    var isPaused: Bool { pausedAt != 0 }

    func arrived(at now: UInt64) { lastActivity = now }

    func paused(at now: UInt64) {
        if pausedAt == 0 { pausedAt = now }
    }

    /// Reading resumes: the pause is forgiven, the silence clock restarts.
    func resumed(at now: UInt64) {
        guard pausedAt != 0 else { return }
        pausedTotal &+= now &- pausedAt
        pausedAt = 0
        lastActivity = now
    }

    /// Time since the head, minus the time reading was paused on our side.
    func activeTime(at now: UInt64) -> UInt64 {
        let paused = pausedTotal &+ (pausedAt != 0 ? now &- pausedAt : 0)
        let elapsed = now &- startedAt
        return elapsed > paused ? elapsed - paused : 0
    }
}
