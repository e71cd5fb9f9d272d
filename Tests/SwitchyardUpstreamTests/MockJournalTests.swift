import Foundation
import SwitchyardUpstream
import Testing

/// The mock's request journal as passthrough tests read it: the full target, every header in
/// order as sent, and the exact body bytes, whatever they are; and `GET /v1/models/{id}`.
@Suite(.serialized) struct MockJournalTests {
    let session: MockSession

    init() throws { session = try MockSession() }

    private func send(_ method: String, _ target: String, headers: [(String, String)], body: [UInt8]) -> Recorder {
        let recorder = Recorder()
        session.harness.start(UpstreamRequest(method: method, url: session.mock.url(target), headers: headers, body: body), recorder)
        #expect(recorder.wait())
        return recorder
    }

    private func journal() throws -> [[String: Any]] {
        try #require(session.send("GET", "/_mock/requests").json as? [[String: Any]])
    }

    @Test func anEntryHasTheTargetTheHeadersInOrderAndTheExactBodyBytes() throws {
        defer { session.finish() }
        // Not UTF-8, not JSON: NUL, a lone continuation byte, 0xFF, CR LF.
        let body: [UInt8] = [0x00, 0x80, 0xFF, 0x0D, 0x0A, 0x7B, 0xC3, 0x28, 0xFE]
        let headers = [("X-First", "1"), ("Content-Type", "application/octet-stream"), ("X-Dup", "a"), ("x-dup", "b")]
        #expect(send("POST", "/v1/vector_stores?purpose=batch&x=%2F", headers: headers, body: body).status == 404)

        let entry = try #require(try journal().last)
        #expect(entry["method"] as? String == "POST")
        #expect(entry["path"] as? String == "/v1/vector_stores")
        #expect(entry["target"] as? String == "/v1/vector_stores?purpose=batch&x=%2F")
        #expect(entry["body_bytes"] as? Int == body.count)
        #expect(entry["body"] is NSNull)
        let base64 = try #require(entry["body_base64"] as? String)
        #expect(Data(base64Encoded: base64).map(Array.init) == body)

        let list = try #require(entry["header_list"] as? [[String]])
        let sent = list.filter { ["X-First", "Content-Type", "X-Dup", "x-dup"].contains($0[0]) }
        #expect(sent == headers.map { [$0.0, $0.1] })  // names as sent, both duplicates, in order
        #expect((entry["headers"] as? [String: String])?["x-dup"] == "b")  // by name: the last one wins
    }

    @Test func aJSONBodyIsAlsoKeptAsBytesAndAnEmptyOneIsEmpty() throws {
        defer { session.finish() }
        let json = Array(#"{"model":"gpt-test", "messages":[{"role":"user","content":"h\u00e9"}]}"#.utf8)  // spacing kept
        _ = send("POST", "/v1/chat/completions", headers: [("Content-Type", "application/json")], body: json)
        _ = send("GET", "/v1/models", headers: [], body: [])
        let entries = try journal()
        let chat = try #require(entries.dropLast().last)
        #expect(Data(base64Encoded: try #require(chat["body_base64"] as? String)).map(Array.init) == json)
        #expect((chat["body"] as? [String: Any])?["model"] as? String == "gpt-test")
        #expect(entries.last?["body_base64"] as? String == "")
        #expect(entries.last?["target"] as? String == "/v1/models")
    }

    @Test func aBodyPastTheBoundIsCountedNotKept() throws {
        defer { session.finish() }
        let large = [UInt8](repeating: 0x61, count: 64 * 1024 + 1)
        _ = send("POST", "/v1/uploads", headers: [], body: large)
        let entry = try #require(try journal().last)
        #expect(entry["body_bytes"] as? Int == large.count)
        #expect(entry["body_base64"] is NSNull && entry["body"] is NSNull)
    }

    @Test func aModelIsRetrievedByID() throws {
        defer { session.finish() }
        let model = try #require(session.send("GET", "/v1/models/mock-model").object)
        #expect(model["id"] as? String == "mock-model")
        #expect(model["object"] as? String == "model")
        #expect(model["owned_by"] as? String == "switchyard-mock")
        #expect(model["created"] as? Int == 1_700_000_000)
        #expect(session.send("GET", "/models/ft%3Agpt-4o%3Aorg").object?["id"] as? String == "ft:gpt-4o:org")
        #expect(session.send("GET", "/v1/models/a/b").status == 404)
        let limited = session.send("GET", "/v1/models/mock-model", headers: [("x-mock-status", "429")])
        #expect(limited.status == 429 && limited.header("retry-after") == "1")
    }
}
