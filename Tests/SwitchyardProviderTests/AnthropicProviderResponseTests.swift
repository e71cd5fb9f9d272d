import CSwitchyardPlugin
import SwitchyardJSON
import Testing

/// Whole (non-stream) Anthropic answers → canonical responses, and the native pass-through.
@Suite struct AnthropicProviderResponseTests {
    let harness: ProviderHarness

    init() throws { harness = try ProviderHarness.anthropic() }

    @Test func textMessageBecomesAChatCompletionWithNormalizedUsage() throws {
        let message = #"""
        {"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
         "content":[{"type":"text","text":"Hi! My name is Claude."},{"type":"text","text":" How can I help?"}],
         "stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":100,"cache_read_input_tokens":1800}}
        """#
        let transcript = harness.respond(body: Array(message.utf8), chunkSize: 7)
        #expect(transcript.failure == nil)
        let completion = try #require(transcript.json.first)
        #expect(completion["id"] == "msg_013Zva2CMHLNnXjNJJKqJ2EF")
        #expect(completion["object"] == "chat.completion")
        #expect((completion["created"]?.intValue ?? 0) > 1_700_000_000)
        #expect(completion["model"] == "claude-sonnet-4-5-20250929")
        #expect(completion["choices"]?[0]?["message"] == ["role": "assistant", "content": "Hi! My name is Claude. How can I help?", "refusal": nil])
        #expect(completion["choices"]?[0]?["finish_reason"] == "stop")
        let usage: JSONValue = [
            "prompt_tokens": 3995, "completion_tokens": 503, "total_tokens": 4498,
            "prompt_tokens_details": ["cached_tokens": 1800, "cache_creation_tokens": 100],
        ]
        #expect(completion["usage"] == usage)
        #expect(transcript.usage == usage)
    }

    @Test func toolUseAndThinkingBlocksMapToToolCallsAndReasoning() throws {
        let message = #"""
        {"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-opus-4-1-20250805",
         "content":[
          {"type":"thinking","thinking":"The user wants the weather in two cities.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3h"},
          {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4a"},
          {"type":"text","text":"I'll check both."},
          {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA","unit":"celsius"}},
          {"type":"tool_use","id":"toolu_01B","name":"get_time","input":{}}],
         "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":91}}
        """#
        let transcript = harness.respond(body: Array(message.utf8))
        let reply = try #require(transcript.json.first?["choices"]?[0])
        #expect(reply["finish_reason"] == "tool_calls")
        #expect(reply["message"]?["content"] == "I'll check both.")
        #expect(reply["message"]?["reasoning_content"] == "The user wants the weather in two cities.")
        #expect(reply["message"]?["reasoning_signature"] == "EqQBCgIYAhIM1gbcDa9GJwZA2b3h")
        #expect(reply["message"]?["tool_calls"] == [
            ["id": "toolu_01A09q90qw90lq917835lq9", "type": "function",
             "function": ["name": "get_weather", "arguments": #"{"location":"San Francisco, CA","unit":"celsius"}"#]],
            ["id": "toolu_01B", "type": "function", "function": ["name": "get_time", "arguments": "{}"]],
        ])
        #expect(transcript.usage?["prompt_tokens"] == 472)
    }

    @Test func everyStopReasonHasAFinishReason() throws {
        let expected = [
            "end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
            "model_context_window_exceeded": "length", "tool_use": "tool_calls", "refusal": "content_filter",
        ]
        for (stopReason, finishReason) in expected {
            let message = #"{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"x"}],"stop_reason":"\#(stopReason)","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}"#
            let transcript = harness.respond(body: Array(message.utf8))
            #expect(transcript.json.first?["choices"]?[0]?["finish_reason"]?.stringValue == finishReason, "\(stopReason)")
        }
    }

    @Test func answerWithoutTextHasNullContent() throws {
        let message = #"{"id":"msg_2","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"toolu_9","name":"now","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":3}}"#
        let transcript = harness.respond(body: Array(message.utf8))
        #expect(transcript.json.first?["choices"]?[0]?["message"]?["content"] == .null)
    }

    @Test func bodyThatIsNotAMessageIs502() {
        for body in ["<html>gateway</html>", #"{"type":"completion"}"#] {
            let transcript = harness.respond(body: Array(body.utf8))
            #expect(transcript.failure?.status == SY_E_UPSTREAM)
            #expect(transcript.failure?.httpStatus == 502)
            #expect(transcript.json.isEmpty)
        }
    }

    @Test func countTokensAnswersWithInputTokensAndZeroUsage() {
        let transcript = harness.respond(ProviderHarness.call(SY_OP_COUNT_TOKENS), body: Array(#"{"input_tokens":2095}"#.utf8), chunkSize: 3)
        #expect(transcript.failure == nil)
        #expect(transcript.json == [["input_tokens": 2095]])
        #expect(transcript.usage?["total_tokens"] == 0)
        let broken = harness.respond(ProviderHarness.call(SY_OP_COUNT_TOKENS), body: Array(#"{"tokens":1}"#.utf8))
        #expect(broken.failure?.httpStatus == 502)
    }

    @Test func nativeWholeMessageIsForwardedAsReceivedWithUsageMeta() throws {
        let message = #"{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[{"type":"text","text":"Hello!"}],"model":"claude-sonnet-4-5","stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":6,"cache_read_input_tokens":30}}"#
        let transcript = harness.respond(ProviderHarness.call(SY_OP_MESSAGES), body: Array(message.utf8), chunkSize: 5)
        #expect(transcript.failure == nil)
        #expect(transcript.json == [try JSONValue.parse(message)])
        #expect(transcript.usage?["prompt_tokens"] == 42)
        #expect(transcript.usage?["completion_tokens"] == 6)
    }
}
