/// Assembles a response head from the lines libcurl hands to CURLOPT_HEADERFUNCTION, one complete
/// line per call (CRLF included): a status line, field lines, a blank line. Interim 1xx heads
/// (100 Continue, 103 Early Hints) are parsed and dropped; lines after the final head (chunked
/// trailers) are ignored.
///
/// A value type with no I/O: the transfer feeds it and acts on what `consume` returns.
struct ResponseHeadParser {
    enum Step: Equatable {
        /// Keep going.
        case more
        /// The final head is complete: read `status` and `headers` now.
        case head
        /// A line curl should not have produced (no status line first): fail the transfer.
        case malformed
    }

    private(set) var status = 0
    private(set) var headers: [(name: String, value: String)] = []
    private(set) var isComplete = false

    mutating func consume(_ line: UnsafeRawBufferPointer) -> Step {
        if isComplete { return .more }  // trailers
        let content = Self.trimmed(line, from: 0)
        if content.isEmpty {
            guard status != 0 else { return .malformed }
            if status < 200 {  // interim: the real head follows
                status = 0
                headers.removeAll(keepingCapacity: true)
                return .more
            }
            isComplete = true
            return .head
        }
        if status == 0 {
            guard let code = Self.statusCode(line) else { return .malformed }
            status = code
            return .more
        }
        let first = line[content.lowerBound]
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // obs-fold: a continuation of the previous field's value.
            guard !headers.isEmpty else { return .malformed }
            let folded = Self.trimmed(line, from: 1)
            headers[headers.count - 1].value += " " + String(decoding: UnsafeRawBufferPointer(rebasing: line[folded]), as: UTF8.self)
            return .more
        }
        guard let colon = line[content].firstIndex(of: UInt8(ascii: ":")), colon > content.lowerBound else { return .malformed }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[content.lowerBound..<colon]), as: UTF8.self)
        let valueRange = Self.trimmed(line, from: colon + 1)
        let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueRange]), as: UTF8.self)
        headers.append((name, value))
        return .more
    }

    /// `HTTP/1.1 200 OK`, `HTTP/2 200`: the three digits after the first space.
    static func statusCode(_ line: UnsafeRawBufferPointer) -> Int? {
        guard line.starts(with: "HTTP/".utf8), let space = line.firstIndex(of: UInt8(ascii: " ")) else { return nil }
        var code = 0
        var index = space + 1
        while index < line.count, index < space + 4 {
            let digit = line[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            code = code * 10 + Int(digit)
            index += 1
        }
        return index == space + 4 && code >= 100 ? code : nil
    }

    /// The range of `line` from `start` without surrounding spaces, tabs and the line ending.
    /// Leading white space is kept at position 0 so that folded lines stay recognisable.
    private static func trimmed(_ line: UnsafeRawBufferPointer, from start: Int) -> Range<Int> {
        var lower = start
        var upper = line.count
        while upper > lower, Self.isSpace(line[upper - 1]) { upper -= 1 }
        if start > 0 { while lower < upper, Self.isSpace(line[lower]) { lower += 1 } }
        return lower..<upper
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
