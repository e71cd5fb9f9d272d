import CLinux
#if canImport(Glibc)
import Glibc
#endif
import SwitchyardCore

/// One part's head in a `multipart/form-data` body: its field name, and for a file its name and
/// content type as the client sent them.
struct MultipartPartHead: Equatable {
    let name: String
    let filename: String?
    let contentType: String?
}

/// Reads a `multipart/form-data` body (RFC 7578, RFC 2046 §5.1) as it arrives, in pieces of any
/// size: a delimiter may be split anywhere between two pieces. Small fields come out whole
/// (bounded by `maxFieldBytes`); a file part's bytes are copied out as they become certain to be
/// content (never the last `delimiter.count - 1` bytes seen, which may begin the delimiter), so
/// the reader holds one window of the body (`windowBytes`), however large the file is.
///
/// Feeding: `feed` copies what fits in the window; `nextEvent` / `readFileData` answer nil or
/// `.needMore` when the window holds too little to decide, and the caller feeds more (or calls
/// `finishInput` at the body's end). Every malformation is a 400 naming what was wrong.
///
/// Threading: a loop-confined value owner (one request's); no locks.
final class MultipartReader {
    enum Event: Equatable {
        /// A part without a file: its whole value.
        case field(name: String, value: [UInt8])
        /// A file part begins; read its bytes with `readFileData` until `.partEnd`.
        case file(MultipartPartHead)
        /// The closing delimiter: anything after it (the epilogue) is ignored.
        case end
    }

    enum FileRead: Equatable {
        case bytes(Int)
        case needMore
        /// The part's last byte has been read; `nextEvent` goes on with the next part.
        case partEnd
    }

    enum FirstLine: Equatable {
        /// The file part's bytes up to (without) its first "\n", or its whole content when it
        /// ends without one.
        case line([UInt8])
        case needMore
        /// Longer than the limit.
        case tooLong
    }

    static let defaultWindowBytes = 64 << 10
    static let maxHeaderBytes = 16 << 10
    static let maxPreambleBytes = 64 << 10
    static let maxPaddingBytes = 256

    let maxFieldBytes: Int
    /// "\r\n--" + boundary: what ends every part.
    private let delimiter: [UInt8]
    private var window: [UInt8] = []
    private var start = 0
    private var capacity: Int
    private var inputEnded = false
    private var state = State.preamble
    /// Body bytes consumed before the window's start (for the preamble bound).
    private var consumedTotal = 0

    private enum State: Equatable {
        case preamble
        /// Just after a delimiter: "--" (the close) or the line end before a part's head.
        case afterDelimiter
        case head
        case field(String)
        case file
        case epilogue
    }

    init(boundary: String, maxFieldBytes: Int = 64 << 10, windowBytes: Int = MultipartReader.defaultWindowBytes) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.maxFieldBytes = maxFieldBytes
        capacity = max(windowBytes, maxFieldBytes + delimiter.count + 8, Self.maxHeaderBytes + 8)
    }

    /// The boundary of a `Content-Type: multipart/form-data; boundary=…` header, or a 400 saying
    /// what is wrong with it.
    static func boundary(contentType: String?) throws(GatewayError) -> String {
        guard let contentType, let parsed = HeaderParameters(contentType) else {
            throw Self.invalid("The upload must be multipart/form-data (Content-Type: multipart/form-data; boundary=...).")
        }
        guard parsed.value == "multipart/form-data" else {
            throw Self.invalid("The upload must be multipart/form-data, not \(parsed.value.isEmpty ? "an empty Content-Type" : parsed.value).")
        }
        guard let boundary = parsed["boundary"], !boundary.isEmpty else {
            throw Self.invalid("The multipart/form-data Content-Type has no boundary parameter.")
        }
        // RFC 2046 §5.1.1: 1 to 70 characters, not ending in a space.
        guard boundary.utf8.count <= 70, boundary.utf8.last != 0x20, boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw Self.invalid("The multipart boundary must be 1 to 70 printable ASCII characters, not ending in a space.")
        }
        return boundary
    }

    /// Room left in the window now.
    var freeSpace: Int { capacity - (window.count - start) }

    /// Copies as much of `bytes` as fits in the window; returns how many.
    func feed(_ bytes: UnsafeRawBufferPointer) -> Int {
        if start > 0, start >= window.count / 2 || window.count + bytes.count > capacity + start {
            window.removeSubrange(0..<start)
            consumedTotal += start
            start = 0
        }
        let taken = min(bytes.count, freeSpace)
        if taken > 0 { window.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<taken])) }
        return taken
    }

    /// The body has no more bytes.
    func finishInput() { inputEnded = true }

    /// The next part (or the end); nil when more input is needed. Not while a file's bytes are
    /// being read (call `readFileData` until `.partEnd` first).
    func nextEvent() throws(GatewayError) -> Event? {
        while true {
            switch state {
            case .preamble:
                guard try findFirstDelimiter() else {
                    if inputEnded { throw Self.invalid("The multipart body does not contain its boundary (--\(boundaryText)).") }
                    return nil
                }
            case .afterDelimiter:
                guard try readDelimiterLineEnd() else { return try needMore("after a boundary") }
                if state == .epilogue { return .end }
            case .head:
                guard let head = try readHead() else { return try needMore("inside a part's headers") }
                if head.filename != nil || head.name == "file" {
                    state = .file
                    return .file(head)
                }
                state = .field(head.name)
            case .field(let name):
                guard let value = try readField() else { return try needMore("inside the field '\(name)'") }
                return .field(name: name, value: value)
            case .file:
                preconditionFailure("MultipartReader.nextEvent inside a file part")
            case .epilogue:
                return .end
            }
        }
    }

    /// Copies the current file part's next bytes into `buffer` (not empty).
    func readFileData(into buffer: UnsafeMutableRawBufferPointer) throws(GatewayError) -> FileRead {
        precondition(state == .file, "MultipartReader.readFileData outside a file part")
        let available = window.count - start
        let found = find(delimiter)
        let certain = found ?? max(0, available - (delimiter.count - 1))
        if certain > 0 {
            let count = min(certain, buffer.count)
            window.withUnsafeBytes { raw in buffer.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: count) }
            start += count
            return .bytes(count)
        }
        if found != nil {
            start += delimiter.count
            state = .afterDelimiter
            return .partEnd
        }
        if inputEnded { throw Self.invalid("The multipart body ended inside the file part, before its closing boundary.") }
        return .needMore
    }

    /// The current file part's first line, without consuming it (the window grows to hold up to
    /// `limit` bytes of it).
    func fileFirstLine(limit: Int) -> FirstLine {
        precondition(state == .file, "MultipartReader.fileFirstLine outside a file part")
        let found = find(delimiter)
        let certain = found ?? max(0, (window.count - start) - (delimiter.count - 1))
        let newline = window.withUnsafeBytes { raw -> Int? in
            guard certain > 0, let hit = memchr(raw.baseAddress! + start, 0x0A, certain) else { return nil }
            return raw.baseAddress!.distance(to: UnsafeRawPointer(hit)) - start
        }
        if let newline { return newline <= limit ? .line(Array(window[start..<start + newline])) : .tooLong }
        if let found { return found <= limit ? .line(Array(window[start..<start + found])) : .tooLong }
        if certain > limit { return .tooLong }
        if inputEnded { return .line(Array(window[start..<start + certain])) }  // readFileData reports the cut body
        capacity = max(capacity, limit + delimiter.count + 8)
        return .needMore
    }

    // MARK: states

    /// The first delimiter may open the body without the CRLF that precedes every later one.
    private func findFirstDelimiter() throws(GatewayError) -> Bool {
        let open = delimiter[2...]
        if consumedTotal + start == 0 {
            let have = min(window.count, open.count)
            if window[0..<have].elementsEqual(open.prefix(have)) {
                guard have == open.count else { return false }
                start = open.count
                state = .afterDelimiter
                return true
            }
        }
        if let found = find(delimiter) {
            start += found + delimiter.count
            state = .afterDelimiter
            return true
        }
        // The preamble is ignored: keep only the bytes that may begin the delimiter.
        start += max(0, window.count - start - (delimiter.count - 1))
        if consumedTotal + start > Self.maxPreambleBytes {
            throw Self.invalid("The multipart body does not contain its boundary (--\(boundaryText)) in its first \(Self.maxPreambleBytes) bytes.")
        }
        return false
    }

    private func readDelimiterLineEnd() throws(GatewayError) -> Bool {
        let available = window.count - start
        guard available >= 2 else { return false }
        if window[start] == UInt8(ascii: "-"), window[start + 1] == UInt8(ascii: "-") {
            start += 2
            state = .epilogue
            return true
        }
        var index = start
        while index < window.count, window[index] == 0x20 || window[index] == 0x09 { index += 1 }
        if index - start > Self.maxPaddingBytes { throw Self.invalid("A multipart boundary line is followed by too many spaces.") }
        guard index + 1 < window.count else { return false }
        guard window[index] == 0x0D, window[index + 1] == 0x0A else {
            throw Self.invalid("A multipart boundary (--\(boundaryText)) is not followed by a line end or '--': the body is garbled.")
        }
        start = index + 2
        state = .head
        return true
    }

    private func readHead() throws(GatewayError) -> MultipartPartHead? {
        let end: Int
        if window.count - start >= 2, window[start] == 0x0D, window[start + 1] == 0x0A {
            end = 0
        } else if let found = find(Array("\r\n\r\n".utf8)) {
            end = found + 2
        } else {
            if window.count - start > Self.maxHeaderBytes { throw Self.invalid("A multipart part's headers are longer than \(Self.maxHeaderBytes) bytes.") }
            return nil
        }
        if end > Self.maxHeaderBytes { throw Self.invalid("A multipart part's headers are longer than \(Self.maxHeaderBytes) bytes.") }
        let text = String(decoding: window[start..<start + end], as: UTF8.self)
        start += end + 2
        var disposition: HeaderParameters?
        var contentType: String?
        for line in text.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw Self.invalid("A multipart part has a header line without ':'.") }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" })
            if name == "content-disposition" {
                guard let parsed = HeaderParameters(value) else { throw Self.invalid("A multipart part's Content-Disposition cannot be read: \(value)") }
                disposition = parsed
            } else if name == "content-type" {
                contentType = value
            }
        }
        guard let disposition else { throw Self.invalid("A multipart part has no Content-Disposition header.") }
        guard disposition.value == "form-data", let name = disposition["name"] else {
            throw Self.invalid("A multipart part's Content-Disposition must be form-data with a name.")
        }
        return MultipartPartHead(name: name, filename: disposition["filename"], contentType: contentType)
    }

    private func readField() throws(GatewayError) -> [UInt8]? {
        guard let found = find(delimiter) else {
            if window.count - start > maxFieldBytes + delimiter.count {
                throw Self.invalid("A multipart field is longer than \(maxFieldBytes) bytes.")
            }
            return nil
        }
        if found > maxFieldBytes { throw Self.invalid("A multipart field is longer than \(maxFieldBytes) bytes.") }
        let value = Array(window[start..<start + found])
        start += found + delimiter.count
        state = .afterDelimiter
        return value
    }

    // MARK: helpers

    /// `needle`'s offset from the window's start, if the window holds it.
    private func find(_ needle: [UInt8]) -> Int? {
        window.withUnsafeBytes { raw in
            needle.withUnsafeBytes { pattern in
                guard raw.count - start >= pattern.count,
                      let hit = memmem(raw.baseAddress! + start, raw.count - start, pattern.baseAddress!, pattern.count) else { return nil }
                return raw.baseAddress!.distance(to: UnsafeRawPointer(hit)) - start
            }
        }
    }

    private func needMore(_ place: String) throws(GatewayError) -> Event? {
        if inputEnded { throw Self.invalid("The multipart body ended \(place), before its closing boundary (--\(boundaryText)--).") }
        return nil
    }

    private var boundaryText: String { String(decoding: delimiter[4...], as: UTF8.self) }

    static func invalid(_ message: String) -> GatewayError {
        GatewayError.invalidRequest(message, code: "invalid_multipart")
    }
}
