import Foundation
import Testing

/// The mock's OpenAI Responses API: the `response` object, the sequenced named-event stream,
/// function calls, reasoning, `max_output_tokens`, validation and knobs.
@Suite(.serialized) struct MockResponsesTests {
    let session: MockSession

    init() throws { session = try MockSession() }

    private func respond(_ body: String, headers: [(String, String)] = []) -> Recorder {
        session.post("/v1/responses", body, headers: headers)
    }

    private static let hello = #"{"model":"gpt-test","instructions":"be brief","input":"hello there mock""#
    private static let weather = #"{"model":"gpt-test","tools":[{"type":"function","name":"lookup_weather","parameters":{}}],"input":[{"role":"user","content":[{"type":"input_text","text":"weather in Paris?"}]}]"#

    @Test func wholeResponseHasTheResponsesShape() throws {
        defer { session.finish() }
        let response = try #require(respond(Self.hello + "}").object)
        #expect(response.string("id")?.hasPrefix("resp_mock_") == true)
        #expect(response.string("object") == "response")
        #expect(response.string("status") == "completed")
        #expect(response.string("model") == "gpt-test")
        #expect(response.string("instructions") == "be brief")
        let item = try #require(response.list("output")?.first)
        #expect(item.string("type") == "message")
        #expect(item.string("role") == "assistant")
        #expect(item.string("content", 0, "type") == "output_text")
        #expect(item.string("content", 0, "text") == "mock: hello there mock")
        #expect(response.int("usage", "input_tokens") == 5)
        #expect(response.int("usage", "output_tokens") == 4)
        #expect(response.int("usage", "total_tokens") == 9)
        #expect(response.int("usage", "input_tokens_details", "cached_tokens") == 0)
        #expect(response.int("usage", "output_tokens_details", "reasoning_tokens") == 0)
    }

    @Test func streamSendsSequencedTypedEvents() throws {
        defer { session.finish() }
        let recorder = respond(Self.hello + #","stream":true}"#)
        #expect(recorder.succeeded)
        #expect(recorder.header("content-type") == "text/event-stream")
        let frames = recorder.frames
        #expect(frames.allSatisfy { $0.name == $0.data["type"] as? String })
        #expect(frames.map { $0.data["sequence_number"] as? Int } == Array(0..<frames.count))
        #expect(frames.compactMap(\.name) == [
            "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed",
        ])
        #expect(frames[0].data.string("response", "status") == "in_progress")
        let deltas = frames.filter { $0.name == "response.output_text.delta" }.compactMap { $0.data.string("delta") }
        #expect(deltas.joined() == "mock: hello there mock")
        #expect(frames.first { $0.name == "response.output_text.done" }?.data.string("text") == "mock: hello there mock")
        let completed = try #require(frames.last?.data)
        #expect(completed.string("response", "status") == "completed")
        #expect(completed.int("response", "usage", "output_tokens") == 4)
        #expect(completed.string("response", "output", 0, "content", 0, "text") == "mock: hello there mock")
    }

    @Test func weatherWithToolsAnswersWithAFunctionCall() throws {
        defer { session.finish() }
        let response = try #require(respond(Self.weather + "}").object)
        let item = try #require(response.list("output")?.first)
        #expect(item.string("type") == "function_call")
        #expect(item.string("name") == "lookup_weather")
        #expect(item.string("arguments") == #"{"city":"Paris"}"#)
        #expect(item.string("call_id")?.isEmpty == false)
        #expect(response.int("usage", "output_tokens") == 8)

        let frames = respond(Self.weather + #","stream":true}"#).frames
        let fragments = frames.filter { $0.name == "response.function_call_arguments.delta" }.compactMap { $0.data.string("delta") }
        #expect(fragments.count >= 2)
        #expect(fragments.joined() == #"{"city":"Paris"}"#)
        #expect(frames.first { $0.name == "response.function_call_arguments.done" }?.data.string("arguments") == #"{"city":"Paris"}"#)
        #expect(frames.first { $0.name == "response.output_item.added" }?.data.string("item", "arguments") == "")
    }

    @Test func thinkingAndCacheKnobsAddReasoningAndTheirCounts() throws {
        defer { session.finish() }
        let response = try #require(respond(Self.hello + "}", headers: [("x-mock-thinking", "1"), ("x-mock-cache-read", "2")]).object)
        let output = try #require(response.list("output"))
        #expect(output.map { $0["type"] as? String } == ["reasoning", "message"])
        #expect(output[0].string("summary", 0, "text") == "The user said: hello there mock")
        #expect(response.int("usage", "input_tokens") == 5)
        #expect(response.int("usage", "input_tokens_details", "cached_tokens") == 2)
        #expect(response.int("usage", "output_tokens") == 10)
        #expect(response.int("usage", "output_tokens_details", "reasoning_tokens") == 6)
    }

    @Test func maxOutputTokensMakesItIncomplete() throws {
        defer { session.finish() }
        let response = try #require(respond(#"{"model":"m","max_output_tokens":2,"input":"one two three"}"#).object)
        #expect(response.string("status") == "incomplete")
        #expect(response.string("incomplete_details", "reason") == "max_output_tokens")
        #expect(response.string("output", 0, "content", 0, "text") == "mock: one")
        let frames = respond(#"{"model":"m","max_output_tokens":2,"stream":true,"input":"one two three"}"#).frames
        #expect(frames.last?.name == "response.incomplete")
    }

    @Test func aFunctionCallOutputNeedsItsCall() throws {
        defer { session.finish() }
        let orphan = respond(#"{"model":"m","input":[{"type":"function_call_output","call_id":"call_1","output":"sunny"}]}"#)
        #expect(orphan.status == 400)
        #expect(orphan.object?.string("error", "type") == "invalid_request_error")
        #expect(orphan.object?.string("error", "message")?.contains("call_1") == true)
        let body = #"""
            {"model":"m","input":[{"role":"user","content":"tell me about Paris"},
              {"type":"function_call","call_id":"call_1","name":"lookup","arguments":"{}"},
              {"type":"function_call_output","call_id":"call_1","output":"sunny"}]}
            """#
        let answered = try #require(respond(body).object)
        #expect(answered.string("output", 0, "content", 0, "text") == "mock: tell me about Paris")
        #expect(answered.int("usage", "input_tokens") == 5)
    }

    @Test(arguments: [(#"{"input":"hi"}"#, "model"), (#"{"model":"m"}"#, "input"), (#"{"model":"m","input":3}"#, "input")])
    func invalidRequestsAreOpenAI400s(body: String, param: String) {
        defer { session.finish() }
        let recorder = respond(body)
        #expect(recorder.status == 400)
        #expect(recorder.object?.string("error", "param") == param)
    }

    @Test func statusAndStreamErrorKnobs() throws {
        defer { session.finish() }
        let limited = respond(Self.hello + "}", headers: [("x-mock-status", "429")])
        #expect(limited.status == 429)
        #expect(limited.header("retry-after") == "1")
        #expect(limited.object?.string("error", "type") == "rate_limit_error")
        let failed = respond(Self.hello + #","stream":true}"#, headers: [("x-mock-stream-error", "1")]).frames
        #expect(failed.last?.name == "response.failed")
        #expect(failed.last?.data.string("response", "status") == "failed")
        #expect(failed.last?.data.string("response", "error", "code") == "server_error")
        #expect(!failed.contains { $0.name == "response.completed" })
    }
}
