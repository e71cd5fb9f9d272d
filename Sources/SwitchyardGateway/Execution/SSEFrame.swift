/// Frames canonical JSON as one server-sent event, in a buffer reused for every chunk of a
/// stream (no allocation per chunk once it has grown to the largest event). A payload that
/// contains line breaks (pretty-printed JSON is still JSON) becomes several `data:` lines, which
/// SSE clients join back with "\n".
struct SSEFrame {
    private var buffer: [UInt8] = []

    static let done: [UInt8] = Array("data: [DONE]\n\n".utf8)

    /// Nothing is allocated until the first event (a whole answer never frames one).
    init() {}

    /// A named event (`event: <name>` then the data lines), as Anthropic's and the Responses
    /// API's streams carry them.
    mutating func frame(event name: UnsafeRawBufferPointer, _ payload: UnsafeRawBufferPointer) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: Self.eventPrefix)
        buffer.append(contentsOf: name)
        buffer.append(0x0A)
        appendData(payload)
    }

    mutating func frame(event name: StaticString, _ payload: UnsafeRawBufferPointer) {
        frame(event: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), payload)
    }

    mutating func frame(_ payload: UnsafeRawBufferPointer) {
        buffer.removeAll(keepingCapacity: true)
        appendData(payload)
    }

    private mutating func appendData(_ payload: UnsafeRawBufferPointer) {
        // Compact JSON has no line breaks: one data line, three appends.
        if !payload.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
            buffer.append(contentsOf: Self.prefix)
            buffer.append(contentsOf: payload)
            buffer.append(0x0A)
            buffer.append(0x0A)
            return
        }
        var lineStart = 0
        var index = 0
        while index <= payload.count {
            let atEnd = index == payload.count
            let byte: UInt8 = atEnd ? 0 : payload[index]
            if atEnd || byte == 0x0A || byte == 0x0D {
                buffer.append(contentsOf: Self.prefix)
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[lineStart..<index]))
                buffer.append(0x0A)
                if !atEnd, byte == 0x0D, index + 1 < payload.count, payload[index + 1] == 0x0A { index += 1 }
                lineStart = index + 1
            }
            index += 1
        }
        buffer.append(0x0A)
    }

    func withBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        buffer.withUnsafeBytes(body)
    }

    private static let prefix: [UInt8] = Array("data: ".utf8)
    private static let eventPrefix: [UInt8] = Array("event: ".utf8)
}
