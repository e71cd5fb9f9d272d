import SwitchyardHTTP
import SwitchyardJSON

/// `POST /v1/files`: OpenAI's upload, `multipart/form-data` with the fields `purpose` and `file`
/// (and optionally `expires_after[anchor]`, `expires_after[seconds]`), read as a stream.
extension MockResponder {
    /// `POST /v1/files` (with a query or without) streams its body, so an upload of any size
    /// goes to disk through one network buffer.
    static func streamsFileUpload(method: String, target: String) -> Bool {
        method == "POST" && target.hasPrefix("/v1/files") && (target.utf8.count == 9 || target.utf8.dropFirst(9).first == UInt8(ascii: "?"))
    }

    func uploadFile(_ request: HTTPRequest, _ writer: ResponseWriter) {
        guard let stream = request.bodyStream else {
            return MockErrorFormat.openAI.send(MockRejection(message: "Missing required parameter: 'file'.", param: "file"), to: writer)
        }
        let refusal: MockRejection
        if let parser = MockMultipart(contentType: request.headers["content-type"]) {
            if !storedFiles.isFull {
                return MockFileUpload(request: request, stream: stream, parser: parser, writer: writer, responder: self).start()
            }
            refusal = Self.storeFull(storedFiles.limit)
        } else {
            refusal = MockRejection(message: "The request must be multipart/form-data with a boundary.")
        }
        MockBodyDrain.start(stream) { [self] read in
            journal.record(request, model: nil, body: nil, bodyBytes: read)
            if !writer.isClosed { MockErrorFormat.openAI.send(refusal, to: writer) }
        }
    }

    static func storeFull(_ limit: Int) -> MockRejection {
        MockRejection(message: "The mock keeps at most \(limit) files (its --max-files); delete some before uploading more.")
    }
}

/// Reads one upload: parts go through the multipart parser as they arrive; the `file` part is
/// appended to a new disk file, the other fields (a few bytes each) are kept in memory. When the
/// body has ended the file is stored and the answer is its `file` object; any failure answers
/// at once in OpenAI's error shape (the server then drops the rest of the body).
///
/// Loop-confined; the stream's `onReadable` keeps it alive until the body has ended.
final class MockFileUpload {
    /// OpenAI's limit for one file.
    static let maxFileBytes = 512 * 1024 * 1024
    static let maxFieldBytes = 4 * 1024

    let request: HTTPRequest
    let stream: RequestBodyStream
    let writer: ResponseWriter
    let responder: MockResponder
    private var parser: MockMultipart
    private var part = Part.none
    private var fields: [String: String] = [:]
    private var file: (data: MockDiskFile, filename: String)?

    private enum Part {
        case none
        case field(name: String, value: [UInt8])
        case file
        /// A part the API does not know: read and dropped.
        case ignored
    }

    init(request: HTTPRequest, stream: RequestBodyStream, parser: MockMultipart, writer: ResponseWriter, responder: MockResponder) {
        self.request = request
        self.stream = stream
        self.parser = parser
        self.writer = writer
        self.responder = responder
    }

    func start() {
        stream.onReadable = { [self] in pump() }
        pump()
    }

    private func pump() {
        while true {
            var rejection: MockRejection?
            let read = stream.withAvailable { bytes in
                do throws(MockRejection) { try parser.feed(bytes, handle) } catch { rejection = error }
                return bytes.count
            }
            if let rejection { return fail(rejection) }
            switch read {
            case .bytes: continue
            case .wait: return
            case .end:
                stream.onReadable = nil
                do throws(MockRejection) { try finish() } catch { fail(error) }
                return
            case .failed(let error):
                fail(MockRejection(status: error.status, message: error.message))
                return
            }
        }
    }

    private func handle(_ event: MockMultipart.Event) throws(MockRejection) {
        switch event {
        case .partStart(let name, let filename):
            if name == "file" {
                guard file == nil else { throw MockRejection(message: "Only one 'file' may be uploaded.", param: "file") }
                file = (try MockDiskFile(), filename ?? "file")
                part = .file
            } else if name == "purpose" || name.hasPrefix("expires_after[") {
                part = .field(name: name, value: [])
            } else {
                part = .ignored
            }
        case .data(let bytes):
            switch part {
            case .file:
                guard let data = file?.data, data.count + bytes.count <= Self.maxFileBytes else {
                    throw MockRejection(status: 413, message: "File is too large: the limit is \(Self.maxFileBytes) bytes.", param: "file")
                }
                try data.append(bytes)
            case .field(let name, var value):
                guard value.count + bytes.count <= Self.maxFieldBytes else { throw MockRejection(message: "The field '\(name)' is too long.", param: name) }
                value.append(contentsOf: bytes)
                part = .field(name: name, value: value)
            case .none, .ignored:
                break
            }
        case .partEnd:
            if case .field(let name, let value) = part { fields[name] = String(decoding: value, as: UTF8.self) }
            part = .none
        }
    }

    /// The body has ended: check the form, store the file, answer its object.
    private func finish() throws(MockRejection) {
        try parser.finish()
        guard let purpose = fields["purpose"] else { throw MockRejection(message: "Missing required parameter: 'purpose'.", param: "purpose") }
        guard MockStoredFile.uploadPurposes.contains(purpose) else {
            let list = MockStoredFile.uploadPurposes.map { "'\($0)'" }.joined(separator: ", ")
            throw MockRejection(message: "'\(purpose)' is not one of [\(list)] - 'purpose'", param: "purpose")
        }
        guard let file else { throw MockRejection(message: "Missing required parameter: 'file'.", param: "file") }
        if purpose == "batch", !file.filename.hasSuffix(".jsonl") {
            throw MockRejection(message: "Invalid file format for Batch API. Must be .jsonl", param: "file")
        }
        let now = MockClock.nowMicroseconds()
        let expiresAt = try expiry(purpose: purpose).map { MockClock.seconds(now) + $0 }
        guard let stored = responder.storedFiles.insert({ id in
            MockStoredFile(id: id, filename: file.filename, purpose: purpose, createdAt: now, expiresAt: expiresAt, data: file.data)
        }) else { throw MockResponder.storeFull(responder.storedFiles.limit) }
        responder.journal.record(request, model: nil, body: nil, bodyBytes: stream.consumedBytes)
        responder.json(writer, 200, stored.json.serialized())
    }

    /// Seconds until the file expires: `expires_after[seconds]` (anchored at `created_at`, one
    /// hour to 30 days), else 30 days for batch files, else never.
    private func expiry(purpose: String) throws(MockRejection) -> Int? {
        let anchor = fields["expires_after[anchor]"]
        let seconds = fields["expires_after[seconds]"]
        guard anchor != nil || seconds != nil else { return purpose == "batch" ? MockStoredFile.batchExpirySeconds : nil }
        guard anchor == "created_at" else {
            throw MockRejection(message: "Invalid value for 'expires_after.anchor': expected 'created_at'.", param: "expires_after.anchor")
        }
        guard let text = seconds, let value = Int(text), (3600...2_592_000).contains(value) else {
            throw MockRejection(message: "Invalid value for 'expires_after.seconds': expected an integer between 3600 and 2592000.", param: "expires_after.seconds")
        }
        return value
    }

    private func fail(_ rejection: MockRejection) {
        stream.onReadable = nil
        responder.journal.record(request, model: nil, body: nil, bodyBytes: stream.consumedBytes)
        guard !writer.isClosed else { return }
        MockErrorFormat.openAI.send(rejection, to: writer)
    }
}

/// Reads a body the mock refuses to its end, keeping none of it, and then answers: a client
/// still sending gets the answer, not a connection reset under its feet. Loop-confined; the
/// stream's `onReadable` keeps it alive until the body has ended.
final class MockBodyDrain {
    let stream: RequestBodyStream
    let then: (_ bytesRead: Int) -> Void

    private init(stream: RequestBodyStream, then: @escaping (Int) -> Void) {
        self.stream = stream
        self.then = then
    }

    /// `then` runs once, on the loop, when the body has ended or failed.
    static func start(_ stream: RequestBodyStream, then: @escaping (_ bytesRead: Int) -> Void) {
        let drain = MockBodyDrain(stream: stream, then: then)
        stream.onReadable = { drain.pump() }
        drain.pump()
    }

    private func pump() {
        while true {
            switch stream.withAvailable({ $0.count }) {
            case .bytes: continue
            case .wait: return
            case .end, .failed:
                stream.onReadable = nil
                return then(stream.consumedBytes)
            }
        }
    }
}
