/// Incremental server-sent-events parser (the WHATWG event-stream format) for upstream streams:
/// bytes arrive in arbitrary pieces, lines end in LF, CR or CRLF, and each event's `data:` lines
/// (joined by "\n") are handed out once, at the blank line that ends the event. `event:`, `id:`,
/// `retry:` and comments are skipped: every upstream we speak to repeats the event name inside
/// its data. OpenAI's `data: [DONE]` is not handed out; `sawDone` records it.
///
/// Allocation: an event that arrives whole in one chunk is handed out straight from the chunk
/// when it has one data line; otherwise it is gathered in a buffer reused for every event, so a
/// steady stream allocates nothing per event. One parser per response; not thread-safe.
public struct ServerSentEvents {
    private var partialLine: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    /// The last chunk ended in CR: a LF opening the next chunk belongs to the same line break.
    private var skipLineFeed = false
    /// True once `data: [DONE]` arrived.
    public private(set) var sawDone = false

    public init() {}

    /// Whether bytes of an unfinished event are held (a stream that ends here was cut).
    public var holdsPartialEvent: Bool { hasData || !partialLine.isEmpty }

    /// Feeds the next bytes; `onEvent` gets each complete event's data, borrowed for the call.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) throws(PluginError) -> Void) throws(PluginError) {
        var start = 0
        if skipLineFeed, !bytes.isEmpty {
            skipLineFeed = false
            if bytes[0] == 0x0A { start = 1 }
        }
        while start < bytes.count {
            guard let end = Self.lineEnd(bytes, from: start) else {
                partialLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
                return
            }
            if partialLine.isEmpty {
                try line(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), onEvent)
            } else {
                partialLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                let whole = partialLine
                partialLine.removeAll(keepingCapacity: true)
                try Self.borrow(whole) { (raw) throws(PluginError) in try line(raw, onEvent) }
            }
            start = end + 1
            if bytes[end] == 0x0D {
                if start < bytes.count { if bytes[start] == 0x0A { start += 1 } } else { skipLineFeed = true }
            }
        }
    }

    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            if bytes[index] == 0x0A || bytes[index] == 0x0D { return index }
            index += 1
        }
        return nil
    }

    private mutating func line(_ line: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) throws(PluginError) -> Void) throws(PluginError) {
        if line.isEmpty {
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
        guard line.starts(with: Self.dataField) else { return }
        var start = Self.dataField.count
        if start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
        if hasData { data.append(0x0A) }
        data.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[start...]))
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
