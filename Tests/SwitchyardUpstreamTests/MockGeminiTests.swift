import Foundation
import Testing

/// The mock's Gemini API (v1beta): `generateContent`, `streamGenerateContent` (SSE and JSON
/// array), `countTokens`, generation config, validation, google.rpc error bodies and knobs.
/// Embeddings are in MockEmbeddingsTests.
@Suite(.serialized) struct MockGeminiTests {
    let session: MockSession

    init() throws { session = try MockSession() }

    private func call(_ method: String, _ body: String, query: String = "", headers: [(String, String)] = []) -> Recorder {
        session.post("/v1beta/models/gemini-test:\(method)\(query)", body, headers: [("x-goog-api-key", "AIza-test")] + headers)
    }

    private static let hello = #"{"systemInstruction":{"parts":[{"text":"be brief"}]},"contents":[{"role":"user","parts":[{"text":"hello there mock"}]}]"#
    private static let weather = #"{"tools":[{"functionDeclarations":[{"name":"lookup_weather","parameters":{"type":"OBJECT"}}]}],"contents":[{"role":"user","parts":[{"text":"weather in Paris?"}]}]"#

    @Test func wholeResponseHasTheGeminiShape() throws {
        defer { session.finish() }
        let recorder = call("generateContent", Self.hello + "}")
        #expect(recorder.status == 200)
        let response = try #require(recorder.object)
        let candidate = try #require(response.list("candidates")?.first)
        #expect(candidate.string("content", "role") == "model")
        #expect(candidate.list("content", "parts")?.count == 1)
        #expect(candidate.string("content", "parts", 0, "text") == "mock: hello there mock")
        #expect(candidate.string("finishReason") == "STOP")
        #expect(candidate.int("index") == 0)
        #expect(response.object("usageMetadata") as? [String: Int] == ["promptTokenCount": 5, "candidatesTokenCount": 4, "totalTokenCount": 9])
        #expect(response.string("modelVersion") == "gemini-test")
        #expect(response.string("responseId")?.isEmpty == false)
    }

    @Test func sseStreamSendsOneChunkPerWordWithCRLFFrames() throws {
        defer { session.finish() }
        let recorder = call("streamGenerateContent", Self.hello + "}", query: "?alt=sse")
        #expect(recorder.succeeded)
        #expect(recorder.header("content-type") == "text/event-stream")
        #expect(recorder.body.hasSuffix("\r\n\r\n"))
        #expect(!recorder.body.contains("event:"))
        let chunks = recorder.frames.map(\.data)
        #expect(chunks.count == 4)
        #expect(chunks.compactMap { $0.string("candidates", 0, "content", "parts", 0, "text") }.joined() == "mock: hello there mock")
        #expect(chunks.dropLast().allSatisfy { $0["usageMetadata"] == nil && $0.string("candidates", 0, "finishReason") == nil })
        let last = try #require(chunks.last)
        #expect(last.string("candidates", 0, "finishReason") == "STOP")
        #expect(last.int("usageMetadata", "candidatesTokenCount") == 4)
    }

    @Test func streamWithoutAltSSEIsOneJSONArray() throws {
        defer { session.finish() }
        let recorder = call("streamGenerateContent", Self.hello + "}")
        #expect(recorder.header("content-type") == "application/json")
        let chunks = try #require(recorder.json as? [[String: Any]])
        #expect(chunks.count == 4)
        #expect(chunks.last?.string("candidates", 0, "finishReason") == "STOP")
    }

    @Test func weatherWithFunctionDeclarationsAnswersWithAFunctionCall() throws {
        defer { session.finish() }
        let response = try #require(call("generateContent", Self.weather + "}").object)
        let part = try #require(response.object("candidates", 0, "content", "parts", 0))
        #expect(part.string("functionCall", "name") == "lookup_weather")
        #expect(part.object("functionCall", "args") as? [String: String] == ["city": "Paris"])
        #expect(response.string("candidates", 0, "finishReason") == "STOP")
        let streamed = call("streamGenerateContent", Self.weather + "}", query: "?alt=sse").frames
        #expect(streamed.count == 1)
        #expect(streamed.first?.data.string("candidates", 0, "content", "parts", 0, "functionCall", "name") == "lookup_weather")
    }

    @Test func thinkingAndCacheKnobsAddAThoughtAndTheirCounts() throws {
        defer { session.finish() }
        let response = try #require(call("generateContent", Self.hello + "}", headers: [("x-mock-thinking", "1"), ("x-mock-cache-read", "2")]).object)
        let parts = try #require(response.list("candidates", 0, "content", "parts"))
        #expect(parts.count == 2)
        #expect(parts[0]["thought"] as? Bool == true)
        #expect(parts[0]["text"] as? String == "The user said: hello there mock")
        #expect(parts[1]["thought"] == nil)
        let usage = response.object("usageMetadata") as? [String: Int]
        #expect(usage == ["promptTokenCount": 5, "candidatesTokenCount": 4, "thoughtsTokenCount": 6, "cachedContentTokenCount": 2, "totalTokenCount": 15])
    }

    @Test func generationConfigLimitsAndCandidates() throws {
        defer { session.finish() }
        func body(_ config: String) -> String { #"{"contents":[{"parts":[{"text":"one two three four"}]}],"generationConfig":\#(config)}"# }
        let limited = try #require(call("generateContent", body(#"{"maxOutputTokens":2}"#)).object)
        #expect(limited.string("candidates", 0, "content", "parts", 0, "text") == "mock: one")
        #expect(limited.string("candidates", 0, "finishReason") == "MAX_TOKENS")
        let stopped = try #require(call("generateContent", body(#"{"stopSequences":["three"]}"#)).object)
        #expect(stopped.string("candidates", 0, "content", "parts", 0, "text") == "mock: one two")
        #expect(stopped.string("candidates", 0, "finishReason") == "STOP")
        let three = try #require(call("generateContent", body(#"{"candidateCount":3}"#)).object)
        #expect(three.list("candidates")?.compactMap { $0["index"] as? Int } == [0, 1, 2])
        #expect(three.int("usageMetadata", "candidatesTokenCount") == 15)
        #expect(call("generateContent", body(#"{"candidateCount":9}"#)).status == 400)
    }

    @Test(arguments: [
        (#"{}"#, "contents"),
        (#"{"contents":[{"role":"assistant","parts":[{"text":"hi"}]}]}"#, "valid role"),
        (#"{"contents":[{"role":"user","parts":[]}]}"#, "parts"),
        (#"{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}}]}]}"#, "function_response"),
        (
            #"{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"g","response":{}}}]}]}"#,
            "\"g\""
        ),
    ])
    func invalidRequestsAreInvalidArgument(body: String, mentioning: String) throws {
        defer { session.finish() }
        let recorder = call("generateContent", body)
        #expect(recorder.status == 400)
        let error = try #require(recorder.object)
        #expect(error.int("error", "code") == 400)
        #expect(error.string("error", "status") == "INVALID_ARGUMENT")
        #expect(error.string("error", "message")?.contains(mentioning) == true)
    }

    @Test func aFunctionRoundTripIsAccepted() throws {
        defer { session.finish() }
        let body = #"""
            {"contents":[{"role":"user","parts":[{"text":"tell me about Paris"}]},
              {"role":"model","parts":[{"functionCall":{"name":"lookup","args":{"q":"Paris"}}}]},
              {"role":"user","parts":[{"functionResponse":{"name":"lookup","response":{"answer":"sunny"}}}]}]}
            """#
        let response = try #require(call("generateContent", body).object)
        #expect(response.string("candidates", 0, "content", "parts", 0, "text") == "mock: tell me about Paris")
    }

    @Test func unknownMethodIsNotFound() {
        defer { session.finish() }
        let recorder = call("generateAnswer", Self.hello + "}")
        #expect(recorder.status == 404)
        #expect(recorder.object?.string("error", "status") == "NOT_FOUND")
    }

    @Test(arguments: [(429, "RESOURCE_EXHAUSTED"), (401, "UNAUTHENTICATED"), (403, "PERMISSION_DENIED"), (500, "INTERNAL"), (503, "UNAVAILABLE")])
    func statusKnobGivesGoogleErrors(status: Int, name: String) throws {
        defer { session.finish() }
        let recorder = call("generateContent", Self.hello + "}", headers: [("x-mock-status", String(status))])
        #expect(recorder.status == status)
        let error = try #require(recorder.object)
        #expect(error.int("error", "code") == status)
        #expect(error.string("error", "status") == name)
        let retryDelay = error.list("error", "details")?.first { $0["@type"] as? String == "type.googleapis.com/google.rpc.RetryInfo" }?["retryDelay"]
        #expect(retryDelay as? String == (status == 429 ? "1s" : nil))
    }

    @Test func streamErrorKnobSendsAnErrorChunk() throws {
        defer { session.finish() }
        let chunks = call("streamGenerateContent", Self.hello + "}", query: "?alt=sse", headers: [("x-mock-stream-error", "1")]).frames.map(\.data)
        #expect(chunks.count == 2)
        #expect(chunks.last?.string("error", "status") == "UNAVAILABLE")
    }

    @Test func countTokensTakesContentsOrAWholeRequest() throws {
        defer { session.finish() }
        #expect(call("countTokens", Self.hello + "}").object?.int("totalTokens") == 5)
        #expect(call("countTokens", #"{"generateContentRequest":{"model":"models/gemini-test","contents":[{"parts":[{"text":"a b c"}]}]}}"#).object?.int("totalTokens") == 3)
        #expect(call("countTokens", "{}").status == 400)
    }

    @Test func journalRecordsThePathModel() throws {
        defer { session.finish() }
        _ = call("generateContent", Self.hello + "}")
        let entries = try #require(session.send("GET", "/_mock/requests").json as? [[String: Any]])
        #expect(entries.last?["model"] as? String == "gemini-test")
        #expect((entries.last?["headers"] as? [String: String])?["x-goog-api-key"] == "AIza-test")
    }
}
