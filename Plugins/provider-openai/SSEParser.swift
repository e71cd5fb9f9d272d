/// Incremental server-sent-events parser (the WHATWG event-stream format): bytes arrive in
/// arbitrary pieces; each complete event's data (lines joined by "\n") is handed out once.
/// Lines are found with a byte search and copied as slices; when an event arrives whole in one
/// chunk (the usual case) its data is handed out straight from the chunk, with no copy.
/// Buffers are reused across events, so a steady stream allocates nothing per chunk.
struct SSEParser {
    private var partialLine: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var skipLineFeed = false
    private(set) var sawDone = false

    init() {
        partialLine.reserveCapacity(4096)
        data.reserveCapacity(4096)
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) -> Void) {
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
                line(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), onEvent)
            } else {
                partialLine.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                let whole = partialLine
                partialLine.removeAll(keepingCapacity: true)
                whole.withUnsafeBytes { line($0, onEvent) }
            }
            start = end + 1
            if bytes[end] == 0x0D {
                if start < bytes.count { if bytes[start] == 0x0A { start += 1 } } else { skipLineFeed = true }
            }
        }
    }

    /// Offset of the next CR or LF at or after `start`.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D { return index }
            index += 1
        }
        return nil
    }

    private mutating func line(_ line: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) -> Void) {
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
        data.append(contentsOf: UnsafeRawBufferPointer(rebasing: line[start...]))
        hasData = true
    }

    private func isDone(_ payload: [UInt8]) -> Bool {
        payload.count == 6 && payload.elementsEqual("[DONE]".utf8)
    }

    private static let dataField = Array("data:".utf8)
}
