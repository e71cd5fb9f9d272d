/// A `multipart/form-data` body (RFC 7578) read as it arrives: `feed` takes the body in pieces of
/// any size and reports each part's start (its name and filename), its data and its end, never
/// holding more than one piece plus a delimiter's length of data. A part's data can therefore
/// go to disk as it comes (a 100 MB upload costs the mock one network buffer).
///
/// Threading: a value owned by one upload, on its connection's loop.
struct MockMultipart {
    enum Event {
        case partStart(name: String, filename: String?)
        /// Valid during the call only.
        case data(UnsafeRawBufferPointer)
        case partEnd
    }

    /// `\r\n--boundary`: what ends every part. The body is read as if it began with `\r\n`, so
    /// the first delimiter (which has no line break before it) looks the same as the others.
    private let delimiter: [UInt8]
    private var phase = Phase.preamble
    /// Bytes not yet reported: in a part, at most the delimiter's length less one (they may be
    /// the start of a delimiter split across two pieces), plus the current piece while it is scanned.
    private var pending: [UInt8] = [UInt8(ascii: "\r"), UInt8(ascii: "\n")]
    static let maxHeaderBytes = 16 * 1024

    private enum Phase {
        case preamble
        /// After a delimiter: `--` (the last one) or a line break (a part follows).
        case afterDelimiter
        case headers
        case part
        case epilogue
    }

    /// The boundary from a `Content-Type: multipart/form-data; boundary=…` value; nil when the
    /// type is another or names no boundary.
    init?(contentType: String?) {
        guard let contentType else { return nil }
        let fields = contentType.split(separator: ";").map { $0.drop { $0 == " " } }
        guard fields.first?.lowercased() == "multipart/form-data" else { return nil }
        guard let field = fields.dropFirst().first(where: { $0.lowercased().hasPrefix("boundary=") }) else { return nil }
        var boundary = field.dropFirst("boundary=".count)
        while boundary.last == " " { boundary = boundary.dropLast() }
        if boundary.count >= 2, boundary.first == "\"", boundary.last == "\"" { boundary = boundary.dropFirst().dropLast() }
        guard (1...70).contains(boundary.utf8.count) else { return nil }
        delimiter = Array("\r\n--".utf8) + Array(boundary.utf8)
    }

    /// True once the closing delimiter has been read.
    var isComplete: Bool {
        if case .epilogue = phase { return true }
        return false
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ sink: (Event) throws(MockRejection) -> Void) throws(MockRejection) {
        if case .epilogue = phase { return }  // whatever follows the closing delimiter is ignored
        pending.append(contentsOf: bytes)
        var start = 0
        defer { pending.removeFirst(start) }
        while true {
            switch phase {
            case .preamble, .part:
                guard let found = Self.find(delimiter, in: pending, from: start) else {
                    // Keep what could still begin a delimiter; report the rest.
                    let keep = min(pending.count - start, delimiter.count - 1)
                    if case .part = phase, pending.count - keep > start {
                        try report(start..<(pending.count - keep), sink)
                    }
                    start = pending.count - keep
                    return
                }
                if case .part = phase {
                    if found > start {
                        try report(start..<found, sink)
                    }
                    try sink(.partEnd)
                }
                start = found + delimiter.count
                phase = .afterDelimiter
            case .afterDelimiter:
                guard pending.count - start >= 2 else { return }
                let next = (pending[start], pending[start + 1])
                start += 2
                if next == (UInt8(ascii: "-"), UInt8(ascii: "-")) {
                    phase = .epilogue
                    return
                }
                guard next == (UInt8(ascii: "\r"), UInt8(ascii: "\n")) else { throw Self.malformed("a boundary must be followed by CRLF or --") }
                phase = .headers
            case .headers:
                guard let end = Self.find(Array("\r\n\r\n".utf8), in: pending, from: start) else {
                    if pending.count - start > Self.maxHeaderBytes { throw Self.malformed("a part's headers are longer than \(Self.maxHeaderBytes) bytes") }
                    return
                }
                let (name, filename) = try Self.disposition(String(decoding: pending[start..<end], as: UTF8.self))
                // An empty part's data is the delimiter itself ("\r\n--boundary" right after the
                // blank line), which the scan in `.part` finds at `start`.
                start = end + 4
                phase = .part
                try sink(.partStart(name: name, filename: filename))
            case .epilogue:
                return
            }
        }
    }

    private func report(_ range: Range<Int>, _ sink: (Event) throws(MockRejection) -> Void) throws(MockRejection) {
        let result = pending.withUnsafeBytes { raw in
            Result { () throws(MockRejection) in try sink(.data(UnsafeRawBufferPointer(rebasing: raw[range]))) }
        }
        try result.get()
    }

    /// Checks the body ended with the closing delimiter.
    func finish() throws(MockRejection) {
        guard isComplete else { throw Self.malformed("the body ended before the closing boundary") }
    }

    /// The `name` and `filename` of a part's `Content-Disposition: form-data; name="…"; filename="…"`.
    private static func disposition(_ headers: String) throws(MockRejection) -> (String, String?) {
        for line in headers.split(separator: "\r\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-disposition" else { continue }
            var name: String?
            var filename: String?
            for parameter in parts[1].split(separator: ";").dropFirst() {
                let pair = parameter.drop { $0 == " " }.split(separator: "=", maxSplits: 1)
                guard pair.count == 2 else { continue }
                var value = pair[1]
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                switch pair[0].lowercased() {
                case "name": name = String(value)
                case "filename": filename = String(value)
                default: continue
                }
            }
            guard let name else { throw malformed("a part's Content-Disposition has no name") }
            return (name, filename)
        }
        throw malformed("a part has no Content-Disposition header")
    }

    /// The first index at or after `from` where `needle` starts in `haystack`.
    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard let first = needle.first, haystack.count - from >= needle.count else { return nil }
        var index = from
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == first {
                var matched = 1
                while matched < needle.count, haystack[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    private static func malformed(_ detail: String) -> MockRejection {
        MockRejection(message: "The multipart/form-data body is malformed: \(detail).")
    }
}
