import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

@Suite struct MessagesRequestTranslationTests {
    func translate(_ body: String) throws(TranslationError) -> JSONValue {
        try MessagesIngress.chatRequest(fromMessages: json(body))
    }

    @Test func topLevelFieldsMapToTheirCanonicalNames() throws {
        let chat = try translate(#"""
        {"model":"claude-x","max_tokens":512,"system":"Be brief.","messages":[{"role":"user","content":"Hi"}],
         "stop_sequences":["END"],"temperature":0.70,"top_p":0.9,"top_k":40,"metadata":{"user_id":"u-1"},"stream":true,
         "service_tier":"auto"}
        """#)
        #expect(chat == json(#"""
        {"model":"claude-x","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
         "max_tokens":512,"stop":["END"],"temperature":0.70,"top_p":0.9,"top_k":40,"user":"u-1",
         "stream":true,"stream_options":{"include_usage":true}}
        """#))
    }

    @Test func systemTextBlocksKeepTheirBoundaries() throws {
        let one = try translate(#"{"model":"m","max_tokens":1,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}}],"messages":[]}"#)
        #expect(one["messages"]?[0] == json(#"{"role":"system","content":"A"}"#))
        let two = try translate(#"{"model":"m","max_tokens":1,"system":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"messages":[]}"#)
        #expect(two["messages"]?[0] == json(#"{"role":"system","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]}"#))
    }

    @Test func userImagesBecomeImageURLParts() throws {
        let chat = try translate(#"""
        {"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
          {"type":"text","text":"What is this?"},
          {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0"}},
          {"type":"image","source":{"type":"url","url":"https://example.com/a.jpg"}}]}]}
        """#)
        #expect(chat["messages"] == json(#"""
        [{"role":"user","content":[{"type":"text","text":"What is this?"},
          {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0"}},
          {"type":"image_url","image_url":{"url":"https://example.com/a.jpg"}}]}]
        """#))
    }

    @Test func assistantTurnCarriesThinkingTextAndToolCalls() throws {
        let chat = try translate(#"""
        {"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[
          {"type":"thinking","thinking":"Let me look.","signature":"sig=="},
          {"type":"redacted_thinking","data":"opaque"},
          {"type":"text","text":"Looking it up."},
          {"type":"tool_use","id":"toolu_1","name":"weather","input":{"city":"Paris","days":[1, 2]}}]}]}
        """#)
        #expect(chat["messages"] == json(#"""
        [{"role":"assistant","content":"Looking it up.","reasoning_content":"Let me look.","reasoning_signature":"sig==",
          "tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\",\"days\":[1,2]}"}}]}]
        """#))
    }

    @Test func assistantWithOnlyToolUseHasNullContent() throws {
        let chat = try translate(#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}"#)
        #expect(chat["messages"]?[0]?["content"] == .null)
        #expect(chat["messages"]?[0]?["tool_calls"]?[0]?["function"]?["arguments"] == "{}")
    }

    @Test func toolResultsBecomeToolMessagesBeforeTheRestOfTheTurn() throws {
        let chat = try translate(#"""
        {"model":"m","max_tokens":1,"messages":[{"role":"user","content":[
          {"type":"tool_result","tool_use_id":"toolu_1","content":"18°C"},
          {"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
          {"type":"tool_result","tool_use_id":"toolu_3","content":"city not found","is_error":true},
          {"type":"tool_result","tool_use_id":"toolu_4","is_error":true},
          {"type":"text","text":"Thanks"}]}]}
        """#)
        #expect(chat["messages"] == json(#"""
        [{"role":"tool","tool_call_id":"toolu_1","content":"18°C"},
         {"role":"tool","tool_call_id":"toolu_2","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
         {"role":"tool","tool_call_id":"toolu_3","content":"Error: city not found"},
         {"role":"tool","tool_call_id":"toolu_4","content":"Error"},
         {"role":"user","content":"Thanks"}]
        """#))
    }

    @Test func toolsAndToolChoiceMapToFunctions() throws {
        let chat = try translate(#"""
        {"model":"m","max_tokens":1,"messages":[],
         "tools":[{"name":"weather","description":"Get weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}},"cache_control":{"type":"ephemeral"}}],
         "tool_choice":{"type":"tool","name":"weather","disable_parallel_tool_use":true}}
        """#)
        #expect(chat["tools"] == json(#"""
        [{"type":"function","function":{"name":"weather","description":"Get weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]
        """#))
        #expect(chat["tool_choice"] == json(#"{"type":"function","function":{"name":"weather"}}"#))
        #expect(chat["parallel_tool_calls"] == false)
    }

    @Test(arguments: [("auto", "\"auto\""), ("any", "\"required\""), ("none", "\"none\"")])
    func toolChoiceKinds(kind: String, expected: String) throws {
        let chat = try translate(#"{"model":"m","max_tokens":1,"messages":[],"tool_choice":{"type":"\#(kind)"}}"#)
        #expect(chat["tool_choice"] == json(expected))
        #expect(chat["parallel_tool_calls"] == nil)
    }

    @Test(arguments: [(1024, "low"), (4095, "low"), (4096, "medium"), (16383, "medium"), (16384, "high"), (64000, "high")])
    func thinkingBudgetBuckets(budget: Int, effort: String) throws {
        let chat = try translate(#"{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled","budget_tokens":\#(budget)}}"#)
        #expect(chat["reasoning_effort"] == .string(effort))
    }

    @Test func disabledThinkingSendsNoEffort() throws {
        let chat = try translate(#"{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"disabled"}}"#)
        #expect(chat["reasoning_effort"] == nil)
    }

    @Test func countTokensCarriesNoSamplingOrStreamFields() throws {
        let chat = try MessagesIngress.chatRequest(fromCountTokens: json(#"""
        {"model":"m","system":"S","messages":[{"role":"user","content":"Hi"}],"tools":[{"name":"f","input_schema":{"type":"object"}}]}
        """#))
        #expect(chat == json(#"""
        {"model":"m","messages":[{"role":"system","content":"S"},{"role":"user","content":"Hi"}],
         "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}
        """#))
        let streamed = rejection { _ = try MessagesIngress.chatRequest(fromCountTokens: json(#"{"model":"m","messages":[],"stream":true}"#)) }
        #expect(streamed?.message == "stream: unknown field (not supported through a translated route)")
    }

    @Test(arguments: [
        (#"{"model":"m","messages":[]}"#, "max_tokens: field required"),
        (#"{"max_tokens":1,"messages":[]}"#, "model: field required"),
        (#"{"model":"m","max_tokens":1,"messages":[],"container":"c"}"#,
         "container: container (code execution containers) is not supported through a translated route"),
        (#"{"model":"m","max_tokens":1,"messages":[],"mcp_servers":[{"type":"url"}]}"#,
         "mcp_servers: mcp_servers (the MCP connector) is not supported through a translated route"),
        (#"{"model":"m","max_tokens":1,"messages":[],"tools":[{"type":"web_search_20250305","name":"web_search"}]}"#,
         #"tools[0].type: the Anthropic tool type "web_search_20250305" (server tools and Anthropic-defined tools) is not supported through a translated route"#),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"x"}}]}]}"#,
         "messages[0].content[0].type: a document block (PDF, text or content documents) is not supported through a translated route"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"x","citations":[{"type":"char_location"}]}]}]}"#,
         "messages[0].content[0].citations: citations is not supported through a translated route"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}}]}]}"#,
         #"messages[0].content[0].type: the server tool block "server_tool_use" is not supported through a translated route"#),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image","source":{"type":"url","url":"u"}}]}]}]}"#,
         "messages[0].content[0].content[0].type: an image inside a tool_result is not supported through a translated route"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}"#,
         #"messages[0].role: expected "user" or "assistant" (got "system")"#),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}"#,
         "messages[0].content[0].type: a tool_use block is not allowed in a user turn"),
        (#"{"model":"m","max_tokens":1,"messages":[],"frequency_penalty":1}"#,
         "frequency_penalty: unknown field (not supported through a translated route)"),
        (#"{"model":"m","max_tokens":"many","messages":[]}"#, "max_tokens: expected an integer"),
        (#"{"model":"m","max_tokens":1,"messages":[],"thinking":{"type":"enabled"}}"#, "thinking.budget_tokens: field required"),
        (#"{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}"#,
         #"messages[0].content[0].source.type: an image source of type "file" (Anthropic Files API) is not supported through a translated route"#),
    ] as [(String, String)])
    func rejectionsNameTheField(body: String, message: String) {
        let error = rejection { _ = try translate(body) }
        #expect(error?.message == message)
        #expect(error?.status == 400)
        #expect(error?.type == "invalid_request_error")
    }

    @Test func rejectionRendersAsAnAnthropicError() {
        guard let error = rejection({ _ = try translate(#"{"model":"m","messages":[]}"#) }) else {
            Issue.record("expected a rejection")
            return
        }
        #expect(MessagesIngress.errorBody(error) == json(#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: field required"}}"#))
    }
}

@Suite struct IngressBodyTests {
    @Test func malformedBodyIsABadRequestSayingWhere() {
        let error = rejection { _ = try Array(#"{"model":}"#.utf8).withUnsafeBytes { raw in try IngressBody.parse(raw) } }
        #expect(error?.status == 400)
        #expect(error?.message == "request body is not valid JSON: unexpected '}', expected a value at byte 9")
    }

    @Test func wellFormedBodyParses() throws {
        let value = try Array(#"{"model":"m"}"#.utf8).withUnsafeBytes { raw in try IngressBody.parse(raw) }
        #expect(value["model"] == "m")
    }
}
