/// Incremental server-sent-events parser (the WHATWG event-stream format): bytes arrive in
/// arbitrary pieces; each complete event's data (lines joined by "\n") is handed out once.
/// Buffers are reused across events, so a steady stream allocates nothing per chunk.
struct SSEParser {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var skipLineFeed = false
    private(set) var sawDone = false

    init() {
        line.reserveCapacity(4096)
        data.reserveCapacity(4096)
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) -> Void) {
        for byte in bytes {
            if skipLineFeed {
                skipLineFeed = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                skipLineFeed = byte == 0x0D
                endOfLine(onEvent)
            } else {
                line.append(byte)
            }
        }
    }

    private mutating func endOfLine(_ onEvent: (UnsafeRawBufferPointer) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard hasData else { return }
            if isDone(data) { sawDone = true } else { data.withUnsafeBytes(onEvent) }
            data.removeAll(keepingCapacity: true)
            hasData = false
            return
        }
        guard line.starts(with: Self.dataField) else { return }  // event:, id:, retry:, comments
        var start = Self.dataField.count
        if start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
        if hasData { data.append(0x0A) }
        data.append(contentsOf: line[start...])
        hasData = true
    }

    private func isDone(_ payload: [UInt8]) -> Bool {
        payload.count == 6 && payload.elementsEqual("[DONE]".utf8)
    }

    private static let dataField = Array("data:".utf8)
}
