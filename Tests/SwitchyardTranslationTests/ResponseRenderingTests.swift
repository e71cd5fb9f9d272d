import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

@Suite struct ResponseRenderingTests {
    let request: ResponsesTranslation = {
        let body = json(#"""
        {"model":"gpt-x","instructions":"Be brief.","input":"Weather?","max_output_tokens":300,"temperature":0.5,
         "tools":[{"type":"function","name":"weather","parameters":{"type":"object"}}],"metadata":{"k":"v"},"reasoning":{"effort":"low"}}
        """#)
        return (try? ResponsesIngress.translate(body, prior: nil))!
    }()

    @Test func wholeCompletionBecomesAResponseWithEchoes() throws {
        let response = try ResponsesIngress.response(fromChatCompletion: Chunks.reasoningTextAndTwoToolCallsWhole, for: request)
        #expect(response == json(#"""
        {"id":"resp_abc","object":"response","created_at":1700000000,"status":"completed","error":null,"incomplete_details":null,
         "instructions":"Be brief.","max_output_tokens":300,"model":"gpt-test","output":[
           {"id":"rs_abc_0","type":"reasoning","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"sig-1"},
           {"id":"msg_abc_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","annotations":[],"logprobs":[],"text":"Checking both."}]},
           {"id":"fc_abc_2","type":"function_call","status":"completed","arguments":"{\"city\":\"Paris\"}","call_id":"call_1","name":"weather"},
           {"id":"fc_abc_3","type":"function_call","status":"completed","arguments":"{\"city\":\"Rome\"}","call_id":"call_2","name":"weather"}],
         "parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":"low","summary":null},"store":true,"temperature":0.5,
         "text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[{"type":"function","name":"weather","parameters":{"type":"object"}}],
         "top_p":null,"truncation":"disabled",
         "usage":{"input_tokens":100,"input_tokens_details":{"cached_tokens":30},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":12},"total_tokens":140},
         "user":null,"metadata":{"k":"v"}}
        """#))
    }

    @Test(arguments: [("length", "max_output_tokens"), ("content_filter", "content_filter")])
    func cutShortResponsesAreIncomplete(finish: String, reason: String) throws {
        let completion = json(#"{"id":"chatcmpl-1","created":5,"model":"m","choices":[{"message":{"role":"assistant","content":"Hal"},"finish_reason":"\#(finish)"}]}"#)
        let response = try ResponsesIngress.response(fromChatCompletion: completion, for: request, model: "alias")
        #expect(response["status"] == "incomplete")
        #expect(response["incomplete_details"] == json(#"{"reason":"\#(reason)"}"#))
        #expect(response["output"]?[0]?["status"] == "incomplete")
        #expect(response["model"] == "alias")
        #expect(response["usage"]?["total_tokens"] == 0)
    }

    @Test func refusalIsARefusalPart() throws {
        let completion = json(#"{"id":"chatcmpl-1","created":5,"model":"m","choices":[{"message":{"role":"assistant","content":null,"refusal":"I can't."},"finish_reason":"stop"}]}"#)
        let response = try ResponsesIngress.response(fromChatCompletion: completion, for: request)
        #expect(response["output"]?[0]?["content"] == json(#"[{"type":"refusal","refusal":"I can't."}]"#))
    }

    @Test func renderedOutputChainsIntoTheNextRequest() throws {
        let response = try ResponsesIngress.response(fromChatCompletion: Chunks.reasoningTextAndTwoToolCallsWhole, for: request)
        let next = try ResponsesIngress.translate(
            json(#"{"model":"gpt-x","previous_response_id":"resp_abc","input":[]}"#),
            prior: ResponsesPriorTurn(messages: request.conversation, output: response["output"]?.arrayValue ?? []))
        #expect(next.conversation.last == Chunks.reasoningTextAndTwoToolCallsWhole["choices"]?[0]?["message"])
    }
}
