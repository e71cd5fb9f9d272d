import SwitchyardPosix

/// Pulls a streamed request body (`UpstreamRequest.bodySource`) into one staging buffer, framed
/// for the wire: raw bytes up to the declared Content-Length, or chunks ("<hex>\r\n" data
/// "\r\n", then "0\r\n\r\n"). `PlainConnection` sends `pending`, reports what the socket took,
/// and asks for a `fill` once it is all out; so the body never costs more than the buffer.
///
/// Also keeps the clock of the time spent waiting for the source, which no timeout counts.
///
/// Threading: the client's loop. Lifetime: owned by its exchange; `detach` (at the end of the
/// exchange, or when sending stops) clears the source's `onReadable`.
final class PlainBodyPump {
    enum Fill {
        /// `pending` holds bytes to send.
        case ready
        /// The source has nothing now; `onReadable` will say when.
        case wait
        /// The body has been staged and sent whole.
        case done
        case failed(UpstreamError)
    }

    static let stagingBytes = 64 * 1024
    /// Room before the data for a chunk-size line ("ffff\r\n"), after it for CRLF and a last chunk.
    private static let headRoom = 8
    private static let tailRoom = 7

    let source: any UpstreamBodySource
    private let chunked: Bool
    /// Bytes still owed under the declared length.
    private var remaining: Int
    private let staging: UnsafeMutableRawBufferPointer
    private var pendingStart = 0
    private var pendingEnd = 0
    /// Everything, the last chunk included, has been staged.
    private var staged = false
    /// The source was asked for bytes at least once: the request can no longer be sent again.
    private(set) var started = false
    /// The source called `onReadable` during our own read (a source may).
    private var signalled = false
    private var waitStartedAt: UInt64 = 0
    /// Nanoseconds spent waiting for the source, not counting a wait in progress.
    private(set) var waited: UInt64 = 0

    init(source: any UpstreamBodySource) {
        self.source = source
        chunked = source.length == nil
        remaining = source.length ?? .max
        staging = .allocate(byteCount: Self.stagingBytes, alignment: 16)
    }

    deinit {
        staging.deallocate()
    }

    /// Bytes staged and not yet sent.
    var pending: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: staging[pendingStart..<pendingEnd])
    }

    var isWaiting: Bool { waitStartedAt != 0 }

    func sent(_ count: Int) {
        pendingStart += count
    }

    /// Routes the source's `onReadable` to `ready` (on the loop).
    func attach(_ ready: @escaping () -> Void) {
        source.onReadable = { [weak self] in
            guard let self else { return }
            signalled = true
            if waitStartedAt != 0 {
                waited &+= monotonicNanoseconds() &- waitStartedAt
                waitStartedAt = 0
            }
            ready()
        }
    }

    func detach() {
        source.onReadable = nil
        if waitStartedAt != 0 {
            waited &+= monotonicNanoseconds() &- waitStartedAt
            waitStartedAt = 0
        }
    }

    /// Stages the next bytes once `pending` is empty: as many as the source has, up to the
    /// buffer (or the declared length).
    func fill() -> Fill {
        guard pendingStart == pendingEnd else { return .ready }
        if staged || remaining == 0 { return .done }
        started = true
        let dataStart = chunked ? Self.headRoom : 0
        let room = min(staging.count - (chunked ? Self.headRoom + Self.tailRoom : 0), remaining)
        var filled = 0
        var ended = false
        var waiting = false
        var retries = 0
        reading: while filled < room {
            signalled = false
            let area = UnsafeMutableRawBufferPointer(rebasing: staging[(dataStart + filled)..<(dataStart + room)])
            switch source.read(into: area) {
            case .bytes(let count):
                guard count > 0, count <= area.count else {
                    return .failed(UpstreamError(.requestBody, "request body source answered \(count) bytes for \(area.count)", reason: "broken request body"))
                }
                filled += count
            case .wait:
                // A source that signalled during this very read has more already.
                if signalled && retries < 2 {
                    retries += 1
                    continue
                }
                waiting = true
                break reading
            case .end:
                ended = true
                break reading
            case .failed(let reason):
                return .failed(UpstreamError(.requestBody, "request body failed: \(reason)", reason: reason))
            }
        }
        if !chunked {
            remaining -= filled
            if ended && remaining > 0 {
                return .failed(UpstreamError(
                    .requestBody, "request body ended \(remaining) bytes short of its declared length", reason: "request body shorter than its length"))
            }
            if remaining == 0 { staged = true }
        }
        if filled == 0 && !ended {
            if waiting, waitStartedAt == 0 { waitStartedAt = monotonicNanoseconds() }
            return .wait  // nothing staged and not ended: the source answered .wait
        }
        pendingStart = dataStart
        pendingEnd = dataStart + filled
        if chunked {
            if filled > 0 { frameChunk(filled) }
            if ended {
                append("0\r\n\r\n")
                staged = true
            }
        }
        return pendingStart == pendingEnd ? .done : .ready
    }

    /// Writes "<hex>\r\n" right before the data and "\r\n" after it.
    private func frameChunk(_ count: Int) {
        var digits = 1
        var rest = count >> 4
        while rest > 0 { digits += 1; rest >>= 4 }
        pendingStart -= digits + 2
        var value = count
        for index in stride(from: pendingStart + digits - 1, through: pendingStart, by: -1) {
            let digit = UInt8(value & 0xF)
            staging[index] = digit < 10 ? 0x30 + digit : 0x57 + digit
            value >>= 4
        }
        staging[pendingStart + digits] = 13
        staging[pendingStart + digits + 1] = 10
        append("\r\n")
    }

    private func append(_ text: StaticString) {
        let bytes = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        UnsafeMutableRawBufferPointer(rebasing: staging[pendingEnd..<(pendingEnd + bytes.count)]).copyMemory(from: bytes)
        pendingEnd += bytes.count
    }
}
