import SwitchyardCore
import Testing
@testable import SwitchyardGateway

/// What a whole read of a form gave: the fields, each file's head and bytes, or the error.
struct ReadForm: Equatable {
    var fields: [String: String] = [:]
    var files: [(head: MultipartPartHead, bytes: [UInt8])] = []
    var error: String?

    static func == (lhs: ReadForm, rhs: ReadForm) -> Bool {
        lhs.fields == rhs.fields && lhs.error == rhs.error
            && lhs.files.elementsEqual(rhs.files) { $0.head == $1.head && $0.bytes == $1.bytes }
    }
}

/// A small deterministic generator (xorshift), so a failing split can be replayed.
struct SplitRandom {
    var state: UInt64
    mutating func next(_ range: ClosedRange<Int>) -> Int {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return range.lowerBound + Int(state % UInt64(range.count))
    }
}

/// Feeds `body` to a reader in pieces of the sizes `pieceSize` picks and reads file bytes in
/// buffers of the sizes `bufferSize` picks, as the upload does; returns what it read.
func readForm(_ body: [UInt8], boundary: String = "B0und", maxFieldBytes: Int = 1024, windowBytes: Int = 256,
              pieceSize: () -> Int, bufferSize: () -> Int = { 4096 }) -> ReadForm {
    let reader = MultipartReader(boundary: boundary, maxFieldBytes: maxFieldBytes, windowBytes: windowBytes)
    var offset = 0
    var form = ReadForm()
    var pending: [UInt8] = []  // a piece the reader had no room for yet
    func feed() -> Bool {
        if pending.isEmpty {
            guard offset < body.count else {
                reader.finishInput()
                return true
            }
            let size = min(pieceSize(), body.count - offset)
            pending = Array(body[offset..<offset + size])
            offset += size
        }
        let taken = pending.withUnsafeBytes { reader.feed($0) }
        pending.removeFirst(taken)
        return taken > 0
    }
    do throws(GatewayError) {
        while true {
            guard let event = try reader.nextEvent() else {
                guard feed() else { Issue.record("the reader took nothing while asking for more"); return form }
                continue
            }
            switch event {
            case .end:
                return form
            case .field(let name, let value):
                form.fields[name] = String(decoding: value, as: UTF8.self)
            case .file(let head):
                var bytes: [UInt8] = []
                reading: while true {
                    var buffer = [UInt8](repeating: 0, count: bufferSize())
                    switch try readFileData(reader, into: &buffer) {
                    case .bytes(let count): bytes += buffer[0..<count]
                    case .needMore: _ = feed()
                    case .partEnd: break reading
                    }
                }
                form.files.append((head, bytes))
            }
        }
    } catch {
        form.error = error.message
        return form
    }
}

/// `readFileData` into an array (the closure of `withUnsafeMutableBytes` loses the error's type).
func readFileData(_ reader: MultipartReader, into buffer: inout [UInt8]) throws(GatewayError) -> MultipartReader.FileRead {
    var result: Result<MultipartReader.FileRead, GatewayError> = .success(.needMore)
    buffer.withUnsafeMutableBytes { raw in
        do throws(GatewayError) { result = .success(try reader.readFileData(into: raw)) } catch { result = .failure(error) }
    }
    return try result.get()
}

func form(_ parts: [(name: String, filename: String?, content: String)], boundary: String = "B0und", preamble: String = "", epilogue: String = "") -> [UInt8] {
    var text = preamble
    for part in parts {
        text += (preamble.isEmpty && text.isEmpty ? "" : "\r\n") + "--\(boundary)\r\n"
        text += "Content-Disposition: form-data; name=\"\(part.name)\"" + (part.filename.map { "; filename=\"\($0)\"" } ?? "") + "\r\n"
        if part.filename != nil { text += "Content-Type: application/jsonl\r\n" }
        text += "\r\n" + part.content
    }
    text += "\r\n--\(boundary)--" + epilogue
    return Array(text.utf8)
}

@Suite struct MultipartReaderTests {
    /// A file holding near-delimiters: a CR LF, "--", the boundary's start, all but the last byte.
    static let trickyContent = "{\"a\":1}\n\r\n--B0un\r\n-\r\n--B0u\r\r\n--x\n" + String(repeating: "0123456789", count: 60)
    static let body = form([("purpose", nil, "batch"), ("provider", nil, "alpha"), ("file", "in.jsonl", trickyContent)], preamble: "ignored\r\n", epilogue: "\r\nignored too")

    static let expected: ReadForm = {
        var form = ReadForm(fields: ["purpose": "batch", "provider": "alpha"])
        form.files = [(MultipartPartHead(name: "file", filename: "in.jsonl", contentType: "application/jsonl"), Array(trickyContent.utf8))]
        return form
    }()

    @Test func readsAWholeForm() {
        #expect(readForm(Self.body, pieceSize: { Self.body.count }) == Self.expected)
    }

    @Test func readsTheSameFormWhateverTheReadsAre() {
        var random = SplitRandom(state: 0x9E37_79B9_7F4A_7C15)
        for round in 0..<300 {
            let largest = [1, 3, 7, 40, 300][round % 5]
            let got = readForm(Self.body, pieceSize: { random.next(1...largest) }, bufferSize: { random.next(1...64) })
            #expect(got == Self.expected, "round \(round)")
        }
    }

    @Test func everyBoundarySplitPointIsRead() {
        let body = form([("purpose", nil, "user_data"), ("file", "f.txt", "abc\r\n--B0un")])
        for split in 1..<body.count {
            var first = true
            let got = readForm(body, pieceSize: {
                defer { first = false }
                return first ? split : body.count
            })
            #expect(got.error == nil && got.fields == ["purpose": "user_data"] && got.files.first?.bytes == Array("abc\r\n--B0un".utf8), "split at \(split)")
        }
    }

    @Test func theFirstDelimiterMayFollowACRLFAndPaddingIsAllowed() {
        let text = "\r\n--B0und  \t\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--B0und--"
        #expect(readForm(Array(text.utf8), pieceSize: { 2 }).fields == ["purpose": "batch"])
    }

    @Test func aQuotedFilenameKeepsItsEscapes() {
        let text = "--B0und\r\ncontent-disposition: form-data; name=file; filename=\"a \\\"b\\\".jsonl\"\r\n\r\nx\r\n--B0und--"
        let got = readForm(Array(text.utf8), pieceSize: { 5 })
        #expect(got.files.first?.head == MultipartPartHead(name: "file", filename: "a \"b\".jsonl", contentType: nil))
    }

    @Test(arguments: [
        ("no boundary at all, only text", "does not contain its boundary"),
        ("--B0undgarbage\r\n", "garbled"),
        ("--B0und\r\nContent-Type: text/plain\r\n\r\nx\r\n--B0und--", "no Content-Disposition"),
        ("--B0und\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\nx\r\n--B0und--", "form-data with a name"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"x\r\n\r\nx\r\n--B0und--", "cannot be read"),
        ("--B0und\r\nContent-Disposition form-data\r\n\r\nx\r\n--B0und--", "without ':'"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch", "ended inside the field 'purpose'"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nabc", "ended inside the file part"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--B0und", "ended after a boundary"),
        ("--B0und\r\nContent-Disposition: form-data; name=\"purpose\"", "ended inside a part's headers"),
    ])
    func badFormsSayWhatIsWrong(text: String, words: String) {
        var random = SplitRandom(state: 42)
        for _ in 0..<20 {
            let got = readForm(Array(text.utf8), pieceSize: { random.next(1...9) })
            #expect(got.error?.contains(words) == true, "\(got.error ?? "no error") for \(text.debugDescription)")
        }
    }

    @Test func thePreambleTheHeadersAndTheFieldsAreBounded() {
        let preamble = Array(String(repeating: "p", count: MultipartReader.maxPreambleBytes + 10).utf8)
        #expect(readForm(preamble, pieceSize: { 1000 }).error?.contains("does not contain its boundary") == true)
        let header = "--B0und\r\nX-Long: " + String(repeating: "h", count: MultipartReader.maxHeaderBytes) + "\r\n\r\nx\r\n--B0und--"
        #expect(readForm(Array(header.utf8), pieceSize: { 999 }).error?.contains("headers are longer") == true)
        let field = form([("purpose", nil, String(repeating: "f", count: 2000))])
        #expect(readForm(field, maxFieldBytes: 1024, pieceSize: { 100 }).error?.contains("longer than 1024 bytes") == true)
    }

    @Test func aLargeFileNeverGrowsTheWindow() {
        let content = String(repeating: "a line of a big file\r\n", count: 20_000)
        let body = form([("purpose", nil, "batch"), ("file", "big.jsonl", content)])
        let got = readForm(body, windowBytes: 256, pieceSize: { 4096 }, bufferSize: { 100 })
        #expect(got.files.first?.bytes.count == content.utf8.count && got.error == nil)
    }

    @Test func theFirstLineIsReadAheadWithoutConsumingIt() throws {
        let body = form([("purpose", nil, "batch"), ("file", "b.jsonl", "{\"body\":{\"model\":\"m\"}}\r\n{\"second\":1}\n")])
        let reader = MultipartReader(boundary: "B0und", windowBytes: 64)
        var offset = 0
        func feedSome() {
            let end = min(offset + 3, body.count)
            let taken = body[offset..<end].withUnsafeBytes { reader.feed($0) }
            offset += taken
            if offset == body.count { reader.finishInput() }
        }
        var events: [MultipartReader.Event] = []
        while events.count < 2 {
            if let event = try reader.nextEvent() { events.append(event) } else { feedSome() }
        }
        var line: [UInt8]?
        while line == nil {
            switch reader.fileFirstLine(limit: 1000) {
            case .line(let found): line = found
            case .needMore: feedSome()
            case .tooLong: Issue.record("too long")
            }
        }
        #expect(String(decoding: line!, as: UTF8.self) == "{\"body\":{\"model\":\"m\"}}\r")
        #expect(FileProviderChoice.model(ofBatchLine: line!) == "m")
        var content: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 7)
        reading: while true {
            switch try readFileData(reader, into: &buffer) {
            case .bytes(let count): content += buffer[0..<count]
            case .needMore: feedSome()
            case .partEnd: break reading
            }
        }
        #expect(String(decoding: content, as: UTF8.self) == "{\"body\":{\"model\":\"m\"}}\r\n{\"second\":1}\n")
    }

    @Test func aFirstLineLongerThanTheLimitIsTooLong() throws {
        let body = form([("file", "b.jsonl", String(repeating: "x", count: 500) + "\n")])
        let reader = MultipartReader(boundary: "B0und", windowBytes: 64)
        #expect(body.withUnsafeBytes { reader.feed($0) } == body.count)
        #expect(try reader.nextEvent() == .file(MultipartPartHead(name: "file", filename: "b.jsonl", contentType: "application/jsonl")))
        #expect(reader.fileFirstLine(limit: 100) == .tooLong)
        #expect(reader.fileFirstLine(limit: 600) == .line(Array(String(repeating: "x", count: 500).utf8)))
    }

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("Multipart/Form-Data ; boundary=\"a b:c\"", "a b:c"),
        ("multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxk", "----WebKitFormBoundary7MA4YWxk"),
    ])
    func theBoundaryComesFromTheContentType(header: String, boundary: String) throws {
        #expect(try MultipartReader.boundary(contentType: header) == boundary)
    }

    @Test(arguments: [
        (String?.none, "must be multipart/form-data"),
        ("application/json", "not application/json"),
        ("multipart/form-data", "no boundary"),
        ("multipart/form-data; boundary=", "no boundary"),
        ("multipart/form-data; boundary=\"unterminated", "must be multipart/form-data"),
        ("multipart/form-data; boundary=" + String(repeating: "b", count: 71), "1 to 70"),
    ])
    func aBadContentTypeIsRefused(header: String?, words: String) {
        #expect(throws: GatewayError.self) { try MultipartReader.boundary(contentType: header) }
        do {
            _ = try MultipartReader.boundary(contentType: header)
        } catch {
            #expect(error.message.contains(words), "\(error.message)")
            #expect(error.status == 400 && error.code == "invalid_multipart")
        }
    }
}
