/// One body of an observed exchange, read for facts in bounded memory whatever its size, and
/// handed out as JSON documents: the whole body (a JSON response or request), each SSE event's
/// data, or each element of a streamed JSON array.
///
/// How it is framed: a response with a non-2xx status or a `Content-Encoding` other than
/// identity is not read at all (`unread`); `text/event-stream` is read as SSE; anything else is
/// decided by its first byte: `{` a whole document, `[` an array read element by element (when
/// `arrays`), otherwise SSE (an upstream that forgot its content type).
///
/// Bounds: a whole document up to `wholeLimit` bytes, an event or an element up to
/// `eventLimit`. Past a bound the body is `overLimit`: the document (or event) is not handed
/// out, the memory is given back, and the observer should report what it knows without usage,
/// since counts from what it did see may be stale.
///
/// Allocation: whole documents grow one buffer; events and elements that arrive whole are
/// handed out from the chunk, split ones gathered in buffers reused for the whole body, so a
/// steady stream allocates nothing per chunk. One value per body, confined to the call.
public struct ObservedBody {
    public enum Framing: Equatable, Sendable {
        /// Waiting for the first byte.
        case undecided
        case whole
        case events
        case arrayElements
        /// Not read (see `unread`).
        case ignored
    }

    /// Why a body is not read.
    public enum Unread: Equatable, Sendable {
        /// The response is not a success (2xx): an error body carries no usage.
        case status(Int)
        /// A `Content-Encoding` other than identity: the bytes are compressed.
        case encoding(String)
        /// Not JSON or SSE (a whole-only body that starts with something else).
        case notJSON
    }

    public private(set) var framing = Framing.undecided
    public private(set) var unread: Unread?
    /// A bound was passed: some of the body was not read.
    public private(set) var overLimit = false
    private let wholeLimit: Int
    private let arrays: Bool
    private let wholeOnly: Bool
    private var buffer: [UInt8] = []
    private var expectedLength = 0
    private var events: ServerSentEvents
    private var elements: JSONArrayElements

    /// A response body: 8 MiB whole, 1 MiB per event or element.
    public init(wholeLimit: Int = 8 << 20, eventLimit: Int = 1 << 20, arrays: Bool = false) {
        self.wholeLimit = wholeLimit
        self.arrays = arrays
        wholeOnly = false
        events = ServerSentEvents(maximumEventBytes: eventLimit)
        elements = JSONArrayElements(maximumElementBytes: eventLimit)
    }

    /// A request body read as one JSON document of at most `limit` bytes (1 MiB).
    public static func request(limit: Int = 1 << 20) -> ObservedBody {
        ObservedBody(wholeLimit: limit, wholeOnly: true)
    }

    private init(wholeLimit: Int, wholeOnly: Bool) {
        self.wholeLimit = wholeLimit
        self.wholeOnly = wholeOnly
        arrays = false
        events = ServerSentEvents(maximumEventBytes: 0)
        elements = JSONArrayElements(maximumElementBytes: 0)
    }

    /// Whether the body's facts were all read: not ignored, no bound passed.
    public var isReadable: Bool { unread == nil && !overLimit }

    /// Reads the head the body belongs to (the request head, status 0, or the response head).
    public mutating func start(_ head: ExchangeHead) {
        if head.status != 0, !(200..<300).contains(head.status) {
            ignore(.status(head.status))
        } else if let encoding = head.headers.value("content-encoding"), !Self.isIdentity(encoding) {
            ignore(.encoding(String(decoding: encoding, as: UTF8.self)))
        } else if !wholeOnly, let type = head.headers.value("content-type"), Self.contains(type, "text/event-stream") {
            framing = .events
        } else if let length = head.headers.value("content-length").flatMap(RawJSON.integer), length <= wholeLimit {
            expectedLength = length  // a whole body is buffered in one allocation
        }
    }

    /// The next bytes; `onDocument` gets each complete event or element, borrowed for the call.
    /// Whitespace before the first byte is skipped (it means nothing in any of the framings).
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ onDocument: (UnsafeRawBufferPointer) -> Void) {
        var chunk = chunk
        if framing == .undecided {
            guard let first = chunk.firstIndex(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else { return }
            decide(chunk[first])
            chunk = UnsafeRawBufferPointer(rebasing: chunk[first...])
        }
        switch framing {
        case .whole:
            guard !overLimit else { return }
            if buffer.count + chunk.count > wholeLimit {
                overLimit = true
                buffer = []
            } else {
                if buffer.isEmpty, expectedLength > chunk.count { buffer.reserveCapacity(expectedLength) }
                buffer.appendBytes(chunk)
            }
        case .events:
            try? events.feed(chunk) { (event) throws(PluginError) in onDocument(event) }
            if events.droppedEvents > 0 { overLimit = true }
        case .arrayElements:
            elements.feed(chunk, onDocument)
            if elements.droppedElements > 0 { overLimit = true }
        case .undecided, .ignored:
            return
        }
    }

    /// The body ended: a whole document is handed out now (when it stayed within its bound); an
    /// event or element left unfinished is dropped. The buffer is given back.
    public mutating func finish(_ onDocument: (UnsafeRawBufferPointer) -> Void) {
        if framing == .whole, !overLimit, !buffer.isEmpty { buffer.withUnsafeBytes { onDocument($0) } }
        buffer = []
    }

    private mutating func decide(_ first: UInt8) {
        if first == UInt8(ascii: "{") {
            framing = .whole
        } else if wholeOnly {
            ignore(.notJSON)
        } else if first == UInt8(ascii: "["), arrays {
            framing = .arrayElements
        } else {
            framing = .events
        }
    }

    private mutating func ignore(_ reason: Unread) {
        unread = reason
        framing = .ignored
    }

    /// "identity" (any case, blanks around), or empty.
    static func isIdentity(_ encoding: UnsafeRawBufferPointer) -> Bool {
        var start = 0, end = encoding.count
        while start < end, encoding[start] == 0x20 || encoding[start] == 0x09 { start += 1 }
        while end > start, encoding[end - 1] == 0x20 || encoding[end - 1] == 0x09 { end -= 1 }
        return start == end || contains(UnsafeRawBufferPointer(rebasing: encoding[start..<end]), "identity", whole: true)
    }

    /// Whether `text` contains `lowercase` (ASCII case-insensitive), or with `whole` is it.
    static func contains(_ text: UnsafeRawBufferPointer, _ lowercase: StaticString, whole: Bool = false) -> Bool {
        let needle = UnsafeRawBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard text.count >= needle.count, !whole || text.count == needle.count else { return false }
        for start in 0...(text.count - needle.count) {
            var index = 0
            while index < needle.count, lowercased(text[start + index]) == needle[index] { index += 1 }
            if index == needle.count { return true }
        }
        return false
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
}
