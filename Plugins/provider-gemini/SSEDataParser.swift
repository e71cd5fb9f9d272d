import SwitchyardPluginSDK

/// Incremental server-sent-events reader (WHATWG event-stream): bytes arrive in arbitrary
/// pieces, lines end in LF, CR or CRLF (Gemini sends CRLF), and each event's `data:` lines,
/// joined by "\n", are handed out once at the blank line that ends it. Other fields (event:,
/// id:, retry:) and comments are skipped: Gemini sends data only.
struct SSEDataParser {
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    /// The previous chunk ended in CR: a LF opening the next one belongs to that line end.
    private var afterCarriageReturn = false

    /// Whether bytes of an unfinished event are held (a stream that ends here was cut).
    var holdsPartialEvent: Bool { hasData || !line.isEmpty }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: ([UInt8]) throws(PluginError) -> Void) throws(PluginError) {
        for byte in bytes {
            if afterCarriageReturn {
                afterCarriageReturn = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0D:
                afterCarriageReturn = true
                try endLine(onEvent)
            case 0x0A:
                try endLine(onEvent)
            default:
                line.append(byte)
            }
        }
    }

    private mutating func endLine(_ onEvent: ([UInt8]) throws(PluginError) -> Void) throws(PluginError) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard hasData else { return }
            let event = data
            data.removeAll(keepingCapacity: true)
            hasData = false
            try onEvent(event)
            return
        }
        guard line.starts(with: Self.dataField) else { return }
        var start = Self.dataField.count
        if start < line.count, line[start] == UInt8(ascii: " ") { start += 1 }
        if hasData { data.append(0x0A) }
        data.append(contentsOf: line[start...])
        hasData = true
    }

    private static let dataField = Array("data:".utf8)
}
