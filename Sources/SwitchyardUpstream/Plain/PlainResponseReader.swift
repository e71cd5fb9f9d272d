/// Reads one HTTP/1.1 response from a byte stream: the head line by line (through
/// `ResponseHeadParser`, which also skips interim 1xx heads), then the body framed by
/// Content-Length, chunked encoding, or the end of the connection (RFC 9112 §6.3).
///
/// Body data comes back as ranges of the caller's buffer: nothing is copied but a partial head
/// line. A value type with no I/O, fed by `PlainConnection`.
struct PlainResponseReader {
    enum Step: Equatable {
        case needMore
        case head
        case body(Range<Int>)
        /// The response is complete; bytes after `offset` belong to no request.
        case complete
        case malformed(String)
    }

    private enum Framing {
        case length(remaining: Int)
        case chunked(ChunkedBodyReader)
        case untilClose
    }

    private enum Phase {
        case head
        case body(Framing)
        case complete
    }

    private(set) var head = ResponseHeadParser()
    private var phase = Phase.head
    private var line: [UInt8] = []
    private var headBytes = 0
    /// Whether the connection may carry another request after this response.
    private(set) var reusable = true
    /// True once any byte of the response arrived (a reused connection that closes before that
    /// may be retried: the request was never seen).
    private(set) var sawBytes = false
    let isHEAD: Bool

    static let maximumHeadBytes = 64 * 1024

    init(isHEAD: Bool) { self.isHEAD = isHEAD }

    mutating func next(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> Step {
        if offset < bytes.count { sawBytes = true }
        switch phase {
        case .complete:
            return .complete
        case .head:
            while true {
                guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                    headBytes += bytes.count - offset
                    offset = bytes.count
                    return headBytes > Self.maximumHeadBytes ? .malformed("response head larger than 64 KiB") : .needMore
                }
                headBytes += newline + 1 - offset
                if headBytes > Self.maximumHeadBytes { return .malformed("response head larger than 64 KiB") }
                let step: ResponseHeadParser.Step
                if line.isEmpty {
                    step = head.consume(UnsafeRawBufferPointer(rebasing: bytes[offset...newline]))
                } else {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...newline]))
                    step = line.withUnsafeBytes { head.consume($0) }
                    line.removeAll(keepingCapacity: true)
                }
                offset = newline + 1
                switch step {
                case .more: continue
                case .malformed: return .malformed("malformed response head from upstream")
                case .head:
                    guard let framing = framing() else { return .malformed("conflicting or invalid Content-Length from upstream") }
                    phase = .body(framing)
                    if case .length(0) = framing { phase = .complete }
                    return .head
                }
            }
        case .body(.length(let remaining)):
            guard offset < bytes.count else { return .needMore }
            let take = min(remaining, bytes.count - offset)
            let range = offset..<(offset + take)
            offset += take
            phase = take == remaining ? .complete : .body(.length(remaining: remaining - take))
            return .body(range)
        case .body(.chunked(var chunked)):
            let step = chunked.next(bytes, &offset)
            phase = .body(.chunked(chunked))
            switch step {
            case .needMore: return .needMore
            case .data(let range): return .body(range)
            case .done:
                phase = .complete
                return .complete
            case .malformed(let why): return .malformed(why)
            }
        case .body(.untilClose):
            guard offset < bytes.count else { return .needMore }
            let range = offset..<bytes.count
            offset = bytes.count
            return .body(range)
        }
    }

    /// True when the body just ended; call after a `.body` step to learn whether more follows.
    var isComplete: Bool {
        if case .complete = phase { return true }
        return false
    }

    /// The connection closed: completes a close-delimited body, anything else is truncated.
    mutating func connectionClosed() -> Bool {
        if case .body(.untilClose) = phase {
            phase = .complete
            return true
        }
        return isComplete
    }

    /// How the body is delimited (RFC 9112 §6.3), and whether the connection stays usable.
    private mutating func framing() -> Framing? {
        var length: Int?
        var chunked = false
        var transferEncoding = false
        for (name, value) in head.headers {
            if equalsIgnoringCase(name, "content-length") {
                guard let parsed = Int(value), parsed >= 0, length == nil || length == parsed else { return nil }
                length = parsed
            } else if equalsIgnoringCase(name, "transfer-encoding") {
                transferEncoding = true
                chunked = value.lowercased().split(separator: ",").last?.trimmingCharacters() == "chunked"
                if !chunked { reusable = false }
            } else if equalsIgnoringCase(name, "connection") {
                if value.lowercased().contains("close") { reusable = false }
            }
        }
        let status = head.status
        if isHEAD || status == 204 || status == 304 { return .length(remaining: 0) }
        if chunked { return .chunked(ChunkedBodyReader()) }
        if let length, !transferEncoding { return .length(remaining: length) }
        reusable = false
        return .untilClose
    }
}

/// ASCII case-insensitive comparison with a lowercase name, without allocating.
func equalsIgnoringCase(_ name: String, _ lowercase: StaticString) -> Bool {
    var name = name
    return name.withUTF8 { bytes in
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
            if lower != expected[index] { return false }
        }
        return true
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var view = self
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return view
    }
}
