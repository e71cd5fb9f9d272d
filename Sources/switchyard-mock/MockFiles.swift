import SwitchyardHTTP
import SwitchyardJSON

/// One file of OpenAI's Files API as the mock keeps it: the metadata in memory, the bytes on disk.
struct MockStoredFile: Sendable {
    let id: String
    let filename: String
    let purpose: String
    /// Microseconds since the epoch.
    let createdAt: Int
    /// Unix seconds, or nil for a file that does not expire.
    let expiresAt: Int?
    let data: MockDiskFile

    /// OpenAI's `file` object.
    var json: JSONValue {
        [
            "id": .string(id), "object": "file", "bytes": .number(data.count), "created_at": .number(MockClock.seconds(createdAt)),
            "filename": .string(filename), "purpose": .string(purpose), "status": "processed",
            "expires_at": expiresAt.map { .number($0) } ?? nil, "status_details": nil,
        ]
    }

    /// The purposes an upload may name (`batch_output` and the other `*_output` ones are the
    /// API's own).
    static let uploadPurposes = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"]
    /// Batch input and output files expire after 30 days unless `expires_after` says otherwise.
    static let batchExpirySeconds = 30 * 86_400
}

/// `/v1/files`: list, retrieve, content, delete (`POST /v1/files`, the upload, is
/// MockFileUpload.swift). Errors in OpenAI's shape; the delay and status knobs apply.
extension MockResponder {
    func filesRoute(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let knobs = defaults.overridden(by: request.headers)
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(3)  // "", "v1", "files"
        let answer: () -> Void
        switch (request.method, segments.count, segments.last) {
        case ("POST", 0, _):
            // An upload journals itself once read; one refused by `x-mock-status` is read first
            // too (and dropped), so the client gets the error rather than a reset.
            guard knobs.status != 200, let stream = request.bodyStream else {
                return deliver(knobs, writer, errors: .openAI) { [self] in uploadFile(request, writer) }
            }
            return MockBodyDrain.start(stream) { [self] read in
                journal.record(request, model: nil, body: nil, bodyBytes: read)
                deliver(knobs, writer, errors: .openAI) {}
            }
        case ("GET", 0, _):
            answer = { [self] in listFiles(request.query, writer) }
        case ("GET", 1, let id?), ("DELETE", 1, let id?):
            let id = String(id)
            answer = { [self] in
                guard let file = request.method == "GET" ? storedFiles.get(id) : deleteFile(id) else { return noSuchFile(id, writer) }
                json(writer, 200, request.method == "GET" ? file.json.serialized() : Self.deleted(id))
            }
        case ("GET", 2, "content"):
            let id = String(segments[segments.startIndex])
            answer = { [self] in
                guard let file = storedFiles.get(id) else { return noSuchFile(id, writer) }
                writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "application/octet-stream")]), contentLength: file.data.count)
                MockFileContentWriter(writer: writer, file: file.data).pump()
            }
        default:
            return json(writer, 404, MockError.body("no route for \(request.method) \(request.path)", type: "invalid_request_error"))
        }
        deliver(knobs, writer, errors: .openAI, answer)
    }

    private func deleteFile(_ id: String) -> MockStoredFile? {
        if case .removed(let file) = storedFiles.remove(id) { return file }
        return nil
    }

    private static func deleted(_ id: String) -> [UInt8] {
        JSONValue.object(JSONObject([("id", .string(id)), ("object", "file"), ("deleted", true)])).serialized()
    }

    func noSuchFile(_ id: String, _ writer: ResponseWriter) {
        MockErrorFormat.openAI.send(MockRejection(status: 404, message: "No such File object: \(id)", param: "id"), to: writer)
    }

    /// `?after=&limit=&order=&purpose=`: newest first unless `order=asc`; 10 000 at most, and by default.
    private func listFiles(_ query: String?, _ writer: ResponseWriter) {
        let parameters = MockQuery(query)
        do throws(MockRejection) {
            let limit = try parameters.limit(default: 10_000, range: 1...10_000)
            let order = parameters["order"] ?? "desc"
            guard order == "asc" || order == "desc" else {
                throw MockRejection(message: "Invalid value for 'order': expected 'asc' or 'desc'.", param: "order")
            }
            let after = try parameters.cursor("after", on: storedFiles)
            let purpose = parameters["purpose"]
            let page = storedFiles.page(newestFirst: order == "desc", after: after, limit: limit) { purpose == nil || $0.purpose == purpose }
            json(writer, 200, Self.list(page.records.map(\.json), page))
        } catch {
            MockErrorFormat.openAI.send(error, to: writer)
        }
    }

    /// OpenAI's cursor page: `{object: "list", data, first_id, last_id, has_more}`.
    static func list<Record>(_ data: [JSONValue], _ page: MockShelf<Record>.Page) -> [UInt8] {
        JSONValue.object(JSONObject([
            ("object", "list"), ("data", .array(data)), ("first_id", page.ids.first.map { .string($0) } ?? nil),
            ("last_id", page.ids.last.map { .string($0) } ?? nil), ("has_more", .bool(page.hasMore)),
        ])).serialized()
    }
}

/// A query string's parameters, percent-decoded, and the paging ones checked.
struct MockQuery {
    private var values: [(String, String)] = []

    init(_ query: String?) {
        values = QueryParameters.pairs(query).map { ($0.name, $0.value) }
    }

    subscript(name: String) -> String? { values.last { $0.0 == name }?.1 }

    func limit(default fallback: Int, range: ClosedRange<Int>) throws(MockRejection) -> Int {
        guard let text = self["limit"] else { return fallback }
        guard let limit = Int(text), range.contains(limit) else {
            throw MockRejection(message: "Invalid 'limit': expected an integer between \(range.lowerBound) and \(range.upperBound), got '\(text)'.", param: "limit")
        }
        return limit
    }

    /// The number of the id named by parameter `name` on `shelf`; nil when the parameter is absent.
    func cursor<Record>(_ name: String, on shelf: MockShelf<Record>) throws(MockRejection) -> Int? {
        guard let id = self[name] else { return nil }
        guard let number = shelf.number(of: id) else {
            throw MockRejection(message: "Invalid '\(name)': '\(id)' is not an id of this list.", param: name)
        }
        return number
    }
}

/// Writes a stored file's bytes as the client takes them: one reused 64 KiB buffer, stopping
/// while the client is behind. Loop-confined; `onDrained` keeps it alive while it waits.
final class MockFileContentWriter {
    let writer: ResponseWriter
    let file: MockDiskFile
    private var sent = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(writer: ResponseWriter, file: MockDiskFile) {
        self.writer = writer
        self.file = file
    }

    func pump() {
        while sent < file.count {
            if writer.isClosed { return }
            if writer.isBackpressured {
                writer.onDrained = { [self] in pump() }
                return
            }
            let read = buffer.withUnsafeMutableBytes { file.read(at: sent, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<min($0.count, file.count - sent)])) }
            guard read > 0 else { return writer.abort() }  // the file is shorter than it says: never pad it
            buffer.withUnsafeBytes { writer.write(UnsafeRawBufferPointer(rebasing: $0[..<read])) }
            sent += read
        }
        writer.finish()
    }
}
