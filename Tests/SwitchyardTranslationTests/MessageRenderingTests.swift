import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

@Suite struct MessageRenderingTests {
    @Test func wholeCompletionBecomesAMessage() throws {
        let message = try MessagesIngress.message(fromChatCompletion: Chunks.reasoningTextAndTwoToolCallsWhole)
        #expect(message == json(#"""
        {"id":"msg_abc","type":"message","role":"assistant","model":"gpt-test","content":[
          {"type":"thinking","thinking":"Need the weather.","signature":"sig-1"},
          {"type":"text","text":"Checking both."},
          {"type":"tool_use","id":"call_1","name":"weather","input":{"city":"Paris"}},
          {"type":"tool_use","id":"call_2","name":"weather","input":{"city":"Rome"}}],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":60,"cache_creation_input_tokens":10,"cache_read_input_tokens":30,"output_tokens":40}}
        """#))
    }

    func completion(finish: String, content: String = #""Hi""#, extra: String = "") -> JSONValue {
        json(#"{"id":"chatcmpl-9","model":"m","choices":[{"message":{"role":"assistant","content":\#(content)\#(extra)},"finish_reason":"\#(finish)"}]}"#)
    }

    @Test(arguments: [("stop", "end_turn"), ("length", "max_tokens"), ("tool_calls", "tool_use"), ("content_filter", "refusal"), ("other", "end_turn")])
    func finishReasonsMapToStopReasons(finish: String, stop: String) throws {
        let message = try MessagesIngress.message(fromChatCompletion: completion(finish: finish))
        #expect(message["stop_reason"] == .string(stop))
        #expect(message["stop_sequence"] == .null)
    }

    @Test func modelOverrideAndMissingUsage() throws {
        let message = try MessagesIngress.message(fromChatCompletion: completion(finish: "stop"), model: "claude-alias")
        #expect(message["model"] == "claude-alias")
        #expect(message["usage"] == json(#"{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}"#))
        #expect(message["content"] == json(#"[{"type":"text","text":"Hi"}]"#))
    }

    @Test func emptyArgumentsAreAnEmptyObject() throws {
        let message = try MessagesIngress.message(fromChatCompletion: completion(
            finish: "tool_calls", content: "null", extra: #","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":""}}]"#))
        #expect(message["content"] == json(#"[{"type":"tool_use","id":"c","name":"f","input":{}}]"#))
    }

    @Test func unparsableArgumentsAreABadGateway() {
        let error = rejection {
            _ = try MessagesIngress.message(fromChatCompletion: completion(
                finish: "tool_calls", content: "null", extra: #","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]"#))
        }
        #expect(error?.status == 502)
        #expect(error?.message == "provider returned arguments for tool call c (f) that are not a JSON object")
    }

    @Test func completionWithoutChoicesIsABadGateway() {
        let error = rejection { _ = try MessagesIngress.message(fromChatCompletion: json(#"{"id":"x","choices":[]}"#)) }
        #expect(error?.status == 502)
    }

    @Test(arguments: [
        (400, "invalid_request_error"), (401, "authentication_error"), (403, "permission_error"), (404, "not_found_error"),
        (413, "request_too_large"), (422, "invalid_request_error"), (429, "rate_limit_error"), (500, "api_error"),
        (502, "api_error"), (503, "overloaded_error"), (504, "timeout_error"), (529, "overloaded_error"),
    ])
    func openAIErrorsBecomeAnthropicErrorsByStatus(status: Int, type: String) {
        let body = MessagesIngress.errorBody(status: status, openAIError: json(#"{"error":{"message":"nope","type":"upstream_error","param":null,"code":null}}"#))
        #expect(body == json(#"{"type":"error","error":{"type":"\#(type)","message":"nope"}}"#))
    }

    @Test func anthropicTypeFromAProviderIsKept() {
        let body = MessagesIngress.errorBody(status: 500, openAIError: json(#"{"error":{"message":"Overloaded","type":"overloaded_error"}}"#))
        #expect(body["error"]?["type"] == "overloaded_error")
        #expect(MessagesIngress.errorBody(status: 502, openAIError: nil)["error"]?["message"] == "upstream returned HTTP 502")
    }

    @Test func emptyReasoningMakesNoThinkingBlock() throws {
        let message = try MessagesIngress.message(fromChatCompletion: completion(finish: "stop", extra: #","reasoning_content":"""#))
        #expect(message["content"] == json(#"[{"type":"text","text":"Hi"}]"#))
    }
}
