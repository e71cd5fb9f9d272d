import Foundation
import Testing

/// The mock's Anthropic Messages API: the `message` object, the named-event stream, Anthropic's
/// validation and error shapes, `count_tokens`, and the thinking / cache / stream-error knobs.
@Suite(.serialized) struct MockAnthropicTests {
    let session: MockSession

    init() throws { session = try MockSession() }

    private static let version = ("anthropic-version", "2023-06-01")

    private func messages(_ body: String, headers: [(String, String)] = [version], path: String = "/v1/messages") -> Recorder {
        session.post(path, body, headers: headers)
    }

    private static let hello = #"{"model":"claude-test","max_tokens":100,"system":"be brief","messages":[{"role":"user","content":"hello there mock"}]"#
    private static let weather = #"{"model":"claude-test","max_tokens":100,"tools":[{"name":"lookup_weather","input_schema":{"type":"object"}}],"messages":[{"role":"user","content":[{"type":"text","text":"What is the weather?"}]}]"#

    @Test func wholeMessageHasTheAnthropicShape() throws {
        defer { session.finish() }
        let recorder = messages(Self.hello + "}", headers: [Self.version, ("x-api-key", "sk-ant-test")])
        #expect(recorder.status == 200)
        let message = try #require(recorder.object)
        #expect(message.string("id")?.hasPrefix("msg_mock_") == true)
        #expect(message.string("type") == "message")
        #expect(message.string("role") == "assistant")
        #expect(message.string("model") == "claude-test")
        #expect(message.list("content")?.count == 1)
        #expect(message.string("content", 0, "type") == "text")
        #expect(message.string("content", 0, "text") == "mock: hello there mock")
        #expect(message.string("stop_reason") == "end_turn")
        #expect(message.isNull("stop_sequence"))
        let usage = try #require(message.object("usage") as? [String: Int])
        #expect(usage == ["input_tokens": 5, "output_tokens": 4, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0])
    }

    @Test func theShortPathAnswersToo() {
        defer { session.finish() }
        #expect(messages(Self.hello + "}", path: "/messages").object?.string("content", 0, "text") == "mock: hello there mock")
    }

    @Test func weatherWithToolsAnswersWithToolUse() throws {
        defer { session.finish() }
        let message = try #require(messages(Self.weather + "}").object)
        #expect(message.string("stop_reason") == "tool_use")
        let block = try #require(message.list("content")?.first)
        #expect(block["type"] as? String == "tool_use")
        #expect((block["id"] as? String)?.hasPrefix("toolu_mock_") == true)
        #expect(block["name"] as? String == "lookup_weather")
        #expect(block["input"] as? [String: String] == ["city": "Paris"])
        #expect(message.int("usage", "output_tokens") == 8)
    }

    @Test func toolCallKnobForcesToolUse() {
        defer { session.finish() }
        let message = messages(Self.hello + "}", headers: [Self.version, ("x-mock-tool-call", "1")]).object
        #expect(message?.string("content", 0, "name") == "get_weather")
    }

    @Test func maxTokensAndStopSequencesCutTheText() throws {
        defer { session.finish() }
        func body(_ maxTokens: Int, _ stops: String) -> String {
            #"{"model":"m","max_tokens":\#(maxTokens),"stop_sequences":\#(stops),"messages":[{"role":"user","content":"one two three four"}]}"#
        }
        let limited = try #require(messages(body(2, #"["zzz"]"#)).object)
        #expect(limited.string("content", 0, "text") == "mock: one")
        #expect(limited.string("stop_reason") == "max_tokens")
        #expect(limited.int("usage", "output_tokens") == 2)
        let stopped = try #require(messages(body(100, #"["zzz","three"]"#)).object)
        #expect(stopped.string("content", 0, "text") == "mock: one two")
        #expect(stopped.string("stop_reason") == "stop_sequence")
        #expect(stopped.string("stop_sequence") == "three")
    }

    @Test func thinkingAndCacheKnobsShapeContentAndUsage() throws {
        defer { session.finish() }
        let headers = [Self.version, ("x-mock-thinking", "1"), ("x-mock-cache-read", "3"), ("x-mock-cache-write", "1")]
        let message = try #require(messages(Self.hello + "}", headers: headers).object)
        let content = try #require(message.list("content"))
        #expect(content.map { $0["type"] as? String } == ["thinking", "text"])
        #expect(content[0]["thinking"] as? String == "The user said: hello there mock")
        #expect((content[0]["signature"] as? String)?.isEmpty == false)
        let usage = try #require(message.object("usage") as? [String: Int])
        // 5 prompt words: 3 read from the cache, 1 written, 1 plain; output 4 + 6 thinking words.
        #expect(usage == ["input_tokens": 1, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 1, "output_tokens": 10])
    }

    @Test func streamSendsTheNamedEventSequence() throws {
        defer { session.finish() }
        let recorder = messages(Self.hello + #","stream":true}"#)
        #expect(recorder.header("content-type") == "text/event-stream")
        #expect(recorder.succeeded)
        let frames = recorder.frames
        #expect(frames.allSatisfy { $0.name == $0.data["type"] as? String })
        #expect(frames.compactMap(\.name) == [
            "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta", "content_block_delta",
            "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        ])
        let start = try #require(frames.first?.data)
        #expect(start.string("message", "id")?.hasPrefix("msg_mock_") == true)
        #expect((start.list("message", "content"))?.isEmpty == true)
        #expect(start.int("message", "usage", "input_tokens") == 5)
        #expect(frames[1].data.string("content_block", "type") == "text")
        let text = frames.filter { $0.name == "content_block_delta" }.compactMap { frame -> String? in
            #expect(frame.data.string("delta", "type") == "text_delta")
            return frame.data.string("delta", "text")
        }
        #expect(text.joined() == "mock: hello there mock")
        let delta = frames[frames.count - 2].data
        #expect(delta.string("delta", "stop_reason") == "end_turn")
        #expect(delta.int("usage", "output_tokens") == 4)
    }

    @Test func streamedToolUseWithThinkingHasBothBlocks() throws {
        defer { session.finish() }
        let frames = messages(Self.weather + #","stream":true}"#, headers: [Self.version, ("x-mock-thinking", "1")]).frames
        let starts = frames.filter { $0.name == "content_block_start" }.map(\.data)
        #expect(starts.map { $0.string("content_block", "type") } == ["thinking", "tool_use"])
        #expect(starts.map { $0.int("index") } == [0, 1])
        #expect(starts[1].string("content_block", "name") == "lookup_weather")
        let deltas = frames.filter { $0.name == "content_block_delta" }.map(\.data)
        let thinking = deltas.filter { $0.string("delta", "type") == "thinking_delta" }.compactMap { $0.string("delta", "thinking") }
        #expect(thinking.joined() == "The user said: What is the weather?")
        #expect(deltas.contains { $0.string("delta", "type") == "signature_delta" && $0.int("index") == 0 })
        let fragments = deltas.filter { $0.string("delta", "type") == "input_json_delta" }.compactMap { $0.string("delta", "partial_json") }
        #expect(fragments.filter { !$0.isEmpty }.count >= 2)
        #expect(fragments.joined() == #"{"city":"Paris"}"#)
        #expect(frames.last { $0.name == "message_delta" }?.data.string("delta", "stop_reason") == "tool_use")
    }

    @Test func streamErrorKnobEndsWithAnErrorEvent() throws {
        defer { session.finish() }
        let recorder = messages(Self.hello + #","stream":true}"#, headers: [Self.version, ("x-mock-stream-error", "1")])
        #expect(recorder.succeeded)  // the stream ends cleanly; the error is in it
        let last = try #require(recorder.frames.last)
        #expect(last.name == "error")
        #expect(last.data.string("error", "type") == "overloaded_error")
        #expect(!recorder.frames.contains { $0.name == "message_stop" })
    }

    @Test func cutKnobDropsTheStream() {
        defer { session.finish() }
        let recorder = messages(Self.hello + #","stream":true}"#, headers: [Self.version, ("x-mock-cut-after", "3")])
        #expect(!recorder.succeeded)
        #expect(recorder.frames.count == 3)
    }

    @Test(arguments: [(429, "rate_limit_error"), (401, "authentication_error"), (500, "api_error"), (529, "overloaded_error")])
    func statusKnobGivesAnthropicErrors(status: Int, type: String) throws {
        defer { session.finish() }
        let recorder = messages(Self.hello + "}", headers: [Self.version, ("x-mock-status", String(status))])
        #expect(recorder.status == status)
        let error = try #require(recorder.object)
        #expect(error.string("type") == "error")
        #expect(error.string("error", "type") == type)
        #expect(error.string("error", "message")?.isEmpty == false)
        #expect(recorder.header("retry-after") == (status == 429 ? "1" : nil))
    }

    @Test(arguments: [
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#, false, "anthropic-version"),
        (#"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#, true, "max_tokens"),
        (#"{"model":"m","max_tokens":5}"#, true, "messages"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"assistant","content":"hi"}]}"#, true, "first message"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}"#, true, "alternate"),
        (#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]}]}"#, true, "tool_use_id"),
        (
            #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},{"role":"user","content":"b"}]}"#,
            true, "without `tool_result`"
        ),
    ])
    func invalidRequestsAreAnthropic400s(body: String, withVersion: Bool, mentioning: String) throws {
        defer { session.finish() }
        let recorder = messages(body, headers: withVersion ? [Self.version] : [])
        #expect(recorder.status == 400)
        let error = try #require(recorder.object)
        #expect(error.string("type") == "error")
        #expect(error.string("error", "type") == "invalid_request_error")
        #expect(error.string("error", "message")?.contains(mentioning) == true)
    }

    @Test func aToolRoundTripIsAcceptedAndAnswersTheUserText() throws {
        defer { session.finish() }
        let body = #"""
            {"model":"m","max_tokens":50,"messages":[
              {"role":"user","content":"tell me about Paris"},
              {"role":"assistant","content":[{"type":"text","text":"looking"},{"type":"tool_use","id":"toolu_9","name":"f","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":[{"type":"text","text":"sunny and warm"}]}]}]}
            """#
        let message = try #require(messages(body).object)
        #expect(message.string("content", 0, "text") == "mock: tell me about Paris")
        #expect(message.int("usage", "input_tokens") == 4 + 1 + 3)
    }

    @Test func countTokensCountsThePrompt() throws {
        defer { session.finish() }
        let body = #"{"model":"m","system":[{"type":"text","text":"be brief"}],"messages":[{"role":"user","content":"hello there mock"}]}"#
        #expect(messages(body, path: "/v1/messages/count_tokens").object as? [String: Int] == ["input_tokens": 5])
        #expect(messages(body, headers: [], path: "/v1/messages/count_tokens").status == 400)
    }
}
