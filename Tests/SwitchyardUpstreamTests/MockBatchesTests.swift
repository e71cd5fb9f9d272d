import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// A request body handed out `piece` bytes at a time with a pause of a millisecond between
/// pieces, so the server reads it in many small pieces: a multipart boundary then arrives split
/// at every possible place. Loop-confined.
final class TrickleSource: UpstreamBodySource, @unchecked Sendable {
    let body: [UInt8]
    let piece: Int
    let length: Int?
    let loop: EventLoop
    var onReadable: (() -> Void)?
    private var sent = 0
    private var holding = false

    init(_ body: [UInt8], piece: Int, announceLength: Bool, loop: EventLoop) {
        self.body = body
        self.piece = piece
        length = announceLength ? body.count : nil
        self.loop = loop
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        if sent == body.count { return .end }
        if holding { return .wait }
        let count = min(piece, buffer.count, body.count - sent)
        body.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + sent, byteCount: count) }
        sent += count
        holding = true
        loop.schedule(after: 1_000_000) { [self] in
            holding = false
            onReadable?()
        }
        return .bytes(count)
    }
}

/// The mock's Files, Batch and Message Batches APIs at the wire: the streamed multipart reader
/// (split anywhere, malformed), the batch life cycle and its delay, the knobs and the journal.
/// The SDK-level flows are in Tests/EndToEnd/test_mock_batches.py.
@Suite(.serialized) struct MockBatchesTests {
    static let boundary = "----switchyard-test-boundary"

    /// A form: a preamble, an unknown field, `purpose`, then `file` holding `content`.
    static func form(purpose: String? = "batch", filename: String = "in.jsonl", content: String, closed: Bool = true) -> [UInt8] {
        var text = "ignored preamble\r\n"
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nnot a field the API knows\r\n"
        if let purpose { text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n\(purpose)\r\n" }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/jsonl\r\n\r\n"
        text += content
        text += closed ? "\r\n--\(boundary)--\r\n" : "\r\n"
        return Array(text.utf8)
    }

    static let contentType = ("Content-Type", "multipart/form-data; boundary=\"\(boundary)\"")

    func upload(_ session: MockSession, _ body: [UInt8], piece: Int = 1 << 20, announce: Bool = true, headers: [(String, String)] = [contentType]) -> Recorder {
        let recorder = Recorder()
        let source = TrickleSource(body, piece: piece, announceLength: announce, loop: session.harness.loop)
        session.harness.start(UpstreamRequest(method: "POST", url: session.mock.url("/v1/files"), headers: headers, bodySource: source), recorder)
        #expect(recorder.wait(seconds: 30))
        return recorder
    }

    /// Data that looks like a boundary without being one, and line breaks of every kind.
    static let trickyContent = "{\"a\":1}\r\n--\(boundary.dropLast())\r\n\r\n--\r\n-\(boundary)\n{\"b\":\"\r\n--\"}"

    @Test(arguments: [1, 3, 7, 64])
    func anUploadSplitIntoSmallPiecesKeepsItsBytes(_ piece: Int) throws {
        let session = try MockSession()
        defer { session.finish() }
        let recorder = upload(session, Self.form(content: Self.trickyContent), piece: piece, announce: piece != 3)
        #expect(recorder.status == 200, "\(recorder.body)")
        let file = try #require(recorder.object)
        #expect(file.string("object") == "file" && file.string("purpose") == "batch" && file.string("filename") == "in.jsonl")
        #expect(file.int("bytes") == Self.trickyContent.utf8.count)
        let id = try #require(file.string("id"))
        #expect(session.send("GET", "/v1/files/\(id)/content").body == Self.trickyContent)
    }

    @Test func anEmptyFileIsAFileOfNoBytes() throws {
        let session = try MockSession()
        defer { session.finish() }
        let file = upload(session, Self.form(content: "")).object
        #expect(file?.int("bytes") == 0)
        #expect(session.send("GET", "/v1/files/\(file?.string("id") ?? "")/content").body == "")
    }

    @Test func aMalformedUploadIsRefusedNamingWhy() throws {
        let session = try MockSession()
        defer { session.finish() }
        let cases: [([UInt8], [(String, String)], String)] = [
            (Self.form(content: "x", closed: false), [Self.contentType], "before the closing boundary"),
            (Self.form(purpose: nil, content: "x"), [Self.contentType], "'purpose'"),
            (Self.form(purpose: "training", content: "x"), [Self.contentType], "is not one of"),
            (Self.form(filename: "in.csv", content: "x"), [Self.contentType], "Must be .jsonl"),
            (Array("--\(Self.boundary)\r\nX-Other: 1\r\n\r\nx\r\n--\(Self.boundary)--".utf8), [Self.contentType], "no Content-Disposition"),
            (Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--\(Self.boundary)--".utf8), [Self.contentType], "'file'"),
            (Self.form(content: "x"), [("Content-Type", "application/json")], "multipart/form-data"),
            (Self.form(content: "x"), [("Content-Type", "multipart/form-data")], "multipart/form-data"),
        ]
        for (body, headers, wording) in cases {
            let recorder = upload(session, body, headers: headers)
            #expect(recorder.status == 400, "\(wording): \(recorder.body)")
            #expect(recorder.object?.string("error", "type") == "invalid_request_error")
            #expect(recorder.object?.string("error", "message")?.contains(wording) == true, "\(recorder.body)")
        }
        #expect((session.send("GET", "/v1/files").object?["data"] as? [Any])?.isEmpty == true)
    }

    @Test func anUploadIsJournaledWithItsSizeOnly() throws {
        let session = try MockSession()
        defer { session.finish() }
        let body = Self.form(content: "{}")
        #expect(upload(session, body, piece: 16).status == 200)
        let entries = try #require(session.send("GET", "/_mock/requests").json as? [[String: Any]])
        let entry = try #require(entries.last { $0["path"] as? String == "/v1/files" })
        #expect(entry["body_bytes"] as? Int == body.count)
        #expect(entry["body"] is NSNull && entry["body_base64"] is NSNull)
    }

    static func chatLine(_ id: String, _ text: String, model: String = "gpt-test") -> String {
        #"{"custom_id":"\#(id)","method":"POST","url":"/v1/chat/completions","body":{"model":"\#(model)","messages":[{"role":"user","content":"\#(text)"}]}}"#
    }

    func batchFile(_ session: MockSession, _ lines: [String]) throws -> String {
        let file = upload(session, Self.form(content: lines.joined(separator: "\n"))).object
        return try #require(file?.string("id"))
    }

    func createBatch(_ session: MockSession, file: String, headers: [(String, String)] = []) -> Recorder {
        session.post("/v1/batches", #"{"input_file_id":"\#(file)","endpoint":"/v1/chat/completions","completion_window":"24h"}"#, headers: headers)
    }

    func waitForBatch(_ session: MockSession, _ path: String, until done: ([String: Any]) -> Bool) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let batch = session.send("GET", path).object, done(batch) { return batch }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    /// The delay holds a batch in progress, then it completes; the header overrides the default.
    @Test func aBatchCompletesAfterItsDelay() throws {
        let session = try MockSession(["--batch-delay-ms", "700"])
        defer { session.finish() }
        let file = try batchFile(session, [Self.chatLine("a", "hi"), Self.chatLine("b", "boom", model: "mock-fail")])
        let started = Date()
        let created = try #require(createBatch(session, file: file).object)
        #expect(created.string("status") == "validating")
        let id = try #require(created.string("id"))
        let running = waitForBatch(session, "/v1/batches/\(id)") { $0.string("status") != "validating" }
        #expect(running?.string("status") == "in_progress" && running?.int("request_counts", "total") == 2)
        let done = try #require(waitForBatch(session, "/v1/batches/\(id)") { $0.string("status") == "completed" })
        #expect(Date().timeIntervalSince(started) >= 0.69)
        #expect(done.int("request_counts", "completed") == 1 && done.int("request_counts", "failed") == 1)
        #expect(done.string("output_file_id") != nil && done.string("error_file_id") != nil)

        let quick = try #require(createBatch(session, file: file, headers: [("x-mock-batch-delay-ms", "0")]).object?.string("id"))
        let quickStarted = Date()
        #expect(waitForBatch(session, "/v1/batches/\(quick)") { $0.string("status") == "completed" } != nil)
        #expect(Date().timeIntervalSince(quickStarted) < 0.6)
    }

    @Test func theStatusAndDelayKnobsApplyToTheBatchRoutes() throws {
        let session = try MockSession()
        defer { session.finish() }
        let limited = session.send("GET", "/v1/batches", headers: [("x-mock-status", "429")])
        #expect(limited.status == 429 && limited.object?.string("error", "type") == "rate_limit_error")
        let anthropic = session.send("GET", "/v1/messages/batches", headers: [("anthropic-version", "2023-06-01"), ("x-mock-status", "529")])
        #expect(anthropic.status == 529 && anthropic.object?.string("error", "type") == "overloaded_error")
        let upload = upload(session, Self.form(content: "{}"), headers: [Self.contentType, ("x-mock-status", "503")])
        #expect(upload.status == 503)
        let entries = try #require(session.send("GET", "/_mock/requests").json as? [[String: Any]])
        let refused = try #require(entries.last { $0["path"] as? String == "/v1/files" })
        #expect(refused["method"] as? String == "POST" && refused["body_bytes"] as? Int == Self.form(content: "{}").count)
        #expect(session.send("GET", "/v1/files/file-mock1").status == 404)  // the refused upload stored nothing
    }

    @Test func messageBatchTimesAreRFC3339() throws {
        let session = try MockSession()
        defer { session.finish() }
        let body = #"{"requests":[{"custom_id":"a","params":{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}}]}"#
        let batch = try #require(session.post("/v1/messages/batches", body, headers: [("anthropic-version", "2023-06-01")]).object)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let created = try #require(batch.string("created_at").flatMap { formatter.date(from: $0) })
        let expires = try #require(batch.string("expires_at").flatMap { formatter.date(from: $0) })
        #expect(abs(created.timeIntervalSinceNow) < 5)
        #expect(abs(expires.timeIntervalSince(created) - 86_400) < 0.001)
        #expect(batch.string("created_at")?.count == "2024-08-20T18:37:24.100435Z".count)
    }

    @Test func unknownRoutesUnderTheAPIsAre404() throws {
        let session = try MockSession()
        defer { session.finish() }
        #expect(session.send("PUT", "/v1/files/file-mock1").status == 404)
        #expect(session.send("GET", "/v1/batches/x/y/z").status == 404)
        #expect(session.send("GET", "/v1/filesystem").status == 404)
        let anthropic = session.send("PATCH", "/v1/messages/batches/x", headers: [("anthropic-version", "2023-06-01")])
        #expect(anthropic.status == 404 && anthropic.object?.string("error", "type") == "not_found_error")
    }
}
