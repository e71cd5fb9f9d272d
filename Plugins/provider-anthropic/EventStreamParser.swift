import SwitchyardPluginSDK

/// Incremental server-sent-events parser (WHATWG event-stream): bytes arrive in arbitrary
/// pieces; each complete event's data (its `data:` lines joined by "\n") is handed out once.
/// Anthropic repeats the event name inside the data object as `type`, so `event:` lines (and
/// `id:`, `retry:`, comments) are skipped. The data is gathered in one buffer reused for every
/// event, so a steady stream allocates nothing per event.
struct EventStreamParser {
    private var partialLine: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    /// The last chunk ended in CR: a LF opening the next chunk belongs to the same line break.
    private var skipLineFeed = false

    init() {
        partialLine.reserveCapacity(1024)
        data.reserveCapacity(1024)
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ onEvent: (UnsafeRawBufferPointer) throws(PluginError) -> Void) throws(PluginError) {
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
