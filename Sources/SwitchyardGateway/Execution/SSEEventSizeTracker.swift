#if canImport(Glibc)
import Glibc
#endif

/// Measures the server-sent events of a streamed upstream answer as its raw bytes arrive, so
/// that one event can be refused once it outgrows `server.max_sse_event_bytes`, before a
/// provider plugin has buffered all of it.
///
/// An event ends at a blank line. Lines end with LF, CRLF or CR (the SSE grammar allows all
/// three), and a line end, or the two bytes of a CRLF, may be split across chunks. The size of
/// an event is every byte from the end of the previous blank line to the start of the blank line
/// that ends it: its lines with their line ends.
///
/// A value type with no I/O: one pass per chunk (memchr for line ends), no allocation.
struct SSEEventSizeTracker {
    let limit: Int
    /// Size of the event in progress.
    private(set) var eventBytes = 0
    /// Nothing, or a line end, came last: a line end now ends a blank line (an event).
    private var atLineStart = true
    /// The last byte was a CR, so an LF now completes a CRLF rather than ending a line; whether
    /// that CR was counted (it ended a line of the event) or not (it ended a blank line).
    private var pendingCR = PendingCR.none

    private enum PendingCR {
        case none, counted, uncounted
    }

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes the next chunk of the stream; false once an event has grown past `limit` (the
    /// caller stops there: the tracker is not meant to be fed again).
    mutating func consume(_ chunk: UnsafeRawBufferPointer) -> Bool {
        guard let start = chunk.baseAddress, !chunk.isEmpty else { return true }
        let end = start + chunk.count
        var cursor = start
        // The next LF at or after `cursor` (nil: none up to `end`), searched again only once
        // passed, so each byte is scanned at most once for LF and once for CR.
        var nextLF = UnsafeRawPointer(memchr(start, 0x0A, chunk.count))
        while cursor < end {
            if let lf = nextLF, lf < cursor { nextLF = UnsafeRawPointer(memchr(cursor, 0x0A, end - cursor)) }
            let searchEnd = nextLF ?? end
            let lineEnd = UnsafeRawPointer(memchr(cursor, 0x0D, searchEnd - cursor)) ?? nextLF
            guard let lineEnd else {
                add(end - cursor)
                return eventBytes <= limit
            }
            if lineEnd > cursor {
                add(lineEnd - cursor)
                if eventBytes > limit { return false }
            }
            lineEnded(by: lineEnd.load(as: UInt8.self))
            if eventBytes > limit { return false }
            cursor = lineEnd + 1
        }
        return true
    }

    /// Bytes of a line other than its end.
    private mutating func add(_ count: Int) {
        eventBytes += count
        atLineStart = false
        pendingCR = .none
    }

    private mutating func lineEnded(by byte: UInt8) {
        let isCR = byte == 0x0D
        switch pendingCR {
        case .counted where !isCR:
            eventBytes += 1  // the LF of a CRLF that ended a line of the event
            pendingCR = .none
        case .uncounted where !isCR:
            pendingCR = .none  // the LF of a CRLF that ended a blank line
        default:
            if atLineStart {
                eventBytes = 0  // a blank line: the event is over
                pendingCR = isCR ? .uncounted : .none
            } else {
                eventBytes += 1
                atLineStart = true
                pendingCR = isCR ? .counted : .none
            }
        }
    }
}
