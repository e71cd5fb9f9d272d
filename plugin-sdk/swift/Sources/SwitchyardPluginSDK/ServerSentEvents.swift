#if canImport(Glibc)
import Glibc
#endif

/// Incremental server-sent-events parser (the WHATWG event-stream format) for upstream streams:
/// bytes arrive in arbitrary pieces, lines end in LF, CR or CRLF, and each event's `data:` lines
/// (joined by "\n") are handed out once, at the blank line that ends the event. `event:`, `id:`,
/// `retry:` and comments are skipped: every upstream we speak to repeats the event name inside
/// its data. OpenAI's `data: [DONE]` is not handed out; `sawDone` records it.
///
/// Allocation: an event that arrives whole in one chunk is handed out straight from the chunk
/// when it has one data line; otherwise it is gathered in a buffer reused for every event, so a
/// steady stream allocates nothing per event. One parser per response; not thread-safe.
///
/// Memory: `maximumEventBytes` bounds what is held for one event (its data, or one unfinished
/// line). An event past it is dropped whole, never handed out in part, and counted in
/// `droppedEvents`; the parser goes on with the next one. Observers of streams of any size (an
/// enricher) set it; providers keep the default (no bound: the host bounds upstream bodies).
public struct ServerSentEvents {
    private var partialLine: [UInt8] = []
    private var spareLine: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    /// The last chunk ended in CR: a LF opening the next chunk belongs to the same line break.
    private var skipLineFeed = false
    /// The line being read went past the bound: its bytes are skipped up to its end.
    private var skippingLine = false
    /// The event being read went past the bound: it is dropped at the blank line ending it.
    private var droppingEvent = false
    private let maximumEventBytes: Int
    /// True once `data: [DONE]` arrived.
    public private(set) var sawDone = false
    /// Events dropped for being larger than `maximumEventBytes`.
    public private(set) var droppedEvents = 0

    public init(maximumEventBytes: Int = .max) {
        self.maximumEventBytes = maximumEventBytes
    }

    /// Whether bytes of an unfinished event are held (a stream that ends here was cut).
    public var holdsPartialEvent: Bool { hasData || !partialLine.isEmpty || droppingEvent }

    /// Feeds the next bytes; `onEvent` gets each complete event's data, borrowed for the call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) throws(PluginError) -> Void) throws(PluginError) {
        var start = 0
        if skipLineFeed, !bytes.isEmpty {
            skipLineFeed = false
            if bytes[0] == 0x0A { start = 1 }
        }
        while start < bytes.count {
            guard let end = Self.lineEnd(bytes, from: start) else {
                if skippingLine { return }
                if partialLine.count + (bytes.count - start) > maximumLineBytes { return skipLine(UnsafeRawBufferPointer(rebasing: bytes[start...])) }
                partialLine.appendBytes(UnsafeRawBufferPointer(rebasing: bytes[start...]))
                return
            }
            if skippingLine {
                skippingLine = false  // the end of an oversized line: the event is dropped already
            } else if partialLine.isEmpty {
                try line(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), onEvent)
            } else if partialLine.count + (end - start) > maximumLineBytes {
                skipLine(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                skippingLine = false
            } else {
                partialLine.appendBytes(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                // The two line buffers take turns, so a line split over chunks allocates nothing
                // once both have grown: `whole` is the only owner of its storage when emptied.
                var whole = partialLine
                partialLine = spareLine
                spareLine = []
                try Self.borrow(whole) { (raw) throws(PluginError) in try line(raw, onEvent) }
                whole.removeAll(keepingCapacity: true)
                spareLine = whole
            }
            start = end + 1
            if bytes[end] == 0x0D {
                if start < bytes.count { if bytes[start] == 0x0A { start += 1 } } else { skipLineFeed = true }
            }
        }
    }

    /// The first LF or CR at or after `start`. memchr, not a byte loop: this scan is most of an
    /// SSE parser's work (a byte loop costs about 9 instructions a byte).
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress, start < bytes.count else { return nil }
        let lineFeed = memchr(base + start, 0x0A, bytes.count - start)
        let before = lineFeed.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
        if let carriageReturn = memchr(base + start, 0x0D, before - start) { return base.distance(to: UnsafeRawPointer(carriageReturn)) }
        return lineFeed == nil ? nil : before
    }

    /// A line may hold a field name besides the data (`data: `), so its bound is a little
    /// larger: whatever the chunking, an event is dropped exactly when its data passes the bound.
    private var maximumLineBytes: Int { maximumEventBytes > Int.max - 16 ? Int.max : maximumEventBytes + 16 }

    /// The unfinished line is past the bound: let go of what it holds; a data line takes its
    /// event with it (another field is only skipped, as it would be whole).
    private mutating func skipLine(_ rest: UnsafeRawBufferPointer) {
        var head = partialLine.prefix(Self.dataField.count)
        head.append(contentsOf: rest.prefix(Self.dataField.count - head.count))
        skippingLine = true
        partialLine = []
        if head.elementsEqual(Self.dataField) { dropEvent() }
    }

    private mutating func dropEvent() {
        if !droppingEvent { droppedEvents += 1 }
        droppingEvent = true
        hasData = false
        data = []
    }

    private mutating func line(_ line: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) throws(PluginError) -> Void) throws(PluginError) {
        if line.isEmpty {
            droppingEvent = false
            guard hasData else { return }
            hasData = false
            defer { data.removeAll(keepingCapacity: true) }
            if data.count == 6, data.elementsEqual("[DONE]".utf8) {
                sawDone = true
                return
            }
            try Self.borrow(data, onEvent)
            return
        }
        guard !droppingEvent, line.starts(with: Self.dataField) else { return }
        var start = Self.dataField.count
        if start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
        if data.count + (line.count - start) + 1 > maximumEventBytes { return dropEvent() }
        if hasData { data.append(0x0A) }
        data.appendBytes(UnsafeRawBufferPointer(rebasing: line[start...]))
        hasData = true
    }

    /// `withUnsafeBytes` with the typed error kept (its rethrows widens it to `any Error`).
    private static func borrow(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(PluginError) -> Void) throws(PluginError) {
        var failure: PluginError?
        bytes.withUnsafeBytes { raw in
            do throws(PluginError) { try body(raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private static let dataField = Array("data:".utf8)
}
