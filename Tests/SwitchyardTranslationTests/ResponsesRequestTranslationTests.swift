import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

@Suite struct ResponsesRequestTranslationTests {
    func translate(_ body: String, prior: ResponsesPriorTurn? = nil) throws(TranslationError) -> ResponsesTranslation {
        try ResponsesIngress.translate(json(body), prior: prior)
    }

    @Test func topLevelFieldsMapToTheirCanonicalNames() throws {
        let request = try translate(#"""
        {"model":"gpt-x","instructions":"Be brief.","input":"Hi","max_output_tokens":256,"temperature":0.5,"top_p":0.9,
         "parallel_tool_calls":false,"reasoning":{"effort":"high","summary":"auto"},"user":"u-1","metadata":{"k":"v"},
         "store":false,"stream":true,"text":{"format":{"type":"json_object"}},"include":["reasoning.encrypted_content"],
         "prompt_cache_key":"pk","service_tier":"auto","truncation":"disabled"}
        """#)
        #expect(request.chatRequest == json(#"""
        {"model":"gpt-x","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"}],
         "max_tokens":256,"temperature":0.5,"top_p":0.9,"parallel_tool_calls":false,"response_format":{"type":"json_object"},
         "reasoning_effort":"high","user":"u-1","stream":true,"stream_options":{"include_usage":true}}
        """#))
        #expect(request.conversation == [json(#"{"role":"user","content":"Hi"}"#)])
        #expect(request.store == false)
        #expect(request.metadata == json(#"{"k":"v"}"#))
        #expect(request.previousResponseID == nil)
    }

    @Test func storeDefaultsToTrue() throws {
        #expect(try translate(#"{"model":"m","input":"Hi"}"#).store)
    }

    @Test func inputItemsBecomeMessages() throws {
        let request = try translate(#"""
        {"model":"m","input":[
          {"role":"developer","content":"Use tools."},
          {"type":"message","role":"user","content":[{"type":"input_text","text":"Weather?"},{"type":"input_image","image_url":"https://example.com/a.png","detail":"low"}]},
          {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Need weather."}],"encrypted_content":"enc-1"},
          {"type":"message","role":"assistant","id":"msg_1","status":"completed","content":[{"type":"output_text","text":"Checking.","annotations":[]}]},
          {"type":"function_call","id":"fc_1","call_id":"call_1","name":"weather","arguments":"{\"city\":\"Paris\"}","status":"completed"},
          {"type":"function_call","call_id":"call_2","name":"weather","arguments":"{\"city\":\"Rome\"}"},
          {"type":"function_call_output","call_id":"call_1","output":"18C"},
          {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"21C"}]},
          {"role":"user","content":[{"type":"input_text","text":"Thanks"}]}]}
        """#)
        #expect(request.chatRequest["messages"] == json(#"""
        [{"role":"system","content":"Use tools."},
         {"role":"user","content":[{"type":"text","text":"Weather?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"low"}}]},
         {"role":"assistant","content":"Checking.","reasoning_content":"Need weather.","reasoning_signature":"enc-1",
          "tool_calls":[{"id":"call_1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}},
                        {"id":"call_2","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Rome\"}"}}]},
         {"role":"tool","tool_call_id":"call_1","content":"18C"},
         {"role":"tool","tool_call_id":"call_2","content":"21C"},
         {"role":"user","content":"Thanks"}]
        """#))
    }

    @Test func reasoningBeforeAFunctionCallStartsAnAssistantMessage() throws {
        let request = try translate(#"""
        {"model":"m","input":[{"role":"user","content":"Go"},
          {"type":"reasoning","id":"rs","summary":[],"content":[{"type":"reasoning_text","text":"Full thoughts."}]},
          {"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
          {"type":"reasoning","id":"dangling","summary":[{"type":"summary_text","text":"dropped"}]}]}
        """#)
        #expect(request.conversation.last == json(#"""
        {"role":"assistant","content":null,"reasoning_content":"Full thoughts.","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}
        """#))
        #expect(request.conversation.count == 2)
    }

    @Test func functionToolsToolChoiceAndJSONSchema() throws {
        let request = try translate(#"""
        {"model":"m","input":"x","tools":[{"type":"function","name":"weather","description":"Get weather","parameters":{"type":"object"},"strict":true}],
         "tool_choice":{"type":"function","name":"weather"},
         "text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true}}}
        """#)
        #expect(request.chatRequest["tools"] == json(#"[{"type":"function","function":{"name":"weather","description":"Get weather","parameters":{"type":"object"},"strict":true}}]"#))
        #expect(request.chatRequest["tool_choice"] == json(#"{"type":"function","function":{"name":"weather"}}"#))
        #expect(request.chatRequest["response_format"] == json(#"{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}}"#))
    }

    @Test(arguments: ["auto", "none", "required"])
    func toolChoiceModesPassThrough(mode: String) throws {
        #expect(try translate(#"{"model":"m","input":"x","tool_choice":"\#(mode)"}"#).chatRequest["tool_choice"] == .string(mode))
    }

    @Test func reasoningEffortNoneSendsNoEffort() throws {
        #expect(try translate(#"{"model":"m","input":"x","reasoning":{"effort":"none"}}"#).chatRequest["reasoning_effort"] == nil)
    }

    /// The host stores `conversation` and the returned `output`; the next request names the
    /// response and gets both back in front of its own input, without the old instructions.
    @Test func previousResponseChainsTheStoredConversation() throws {
        let first = try translate(#"{"model":"m","instructions":"Old rules.","input":"Weather in Paris?"}"#)
        let output = [
            json(#"{"id":"rs_a_0","type":"reasoning","summary":[{"type":"summary_text","text":"Call the tool."}],"encrypted_content":"sig"}"#),
            json(#"{"id":"fc_a_1","type":"function_call","status":"completed","arguments":"{}","call_id":"call_9","name":"weather"}"#),
        ]
        let second = try translate(
            #"{"model":"m","instructions":"New rules.","previous_response_id":"resp_a","input":[{"type":"function_call_output","call_id":"call_9","output":"18C"}]}"#,
            prior: ResponsesPriorTurn(messages: first.conversation, output: output))
        #expect(second.previousResponseID == "resp_a")
        #expect(second.chatRequest["messages"] == json(#"""
        [{"role":"system","content":"New rules."},
         {"role":"user","content":"Weather in Paris?"},
         {"role":"assistant","content":null,"reasoning_content":"Call the tool.","reasoning_signature":"sig",
          "tool_calls":[{"id":"call_9","type":"function","function":{"name":"weather","arguments":"{}"}}]},
         {"role":"tool","tool_call_id":"call_9","content":"18C"}]
        """#))
        #expect(second.conversation.count == 3)
    }

    @Test(arguments: [
        (#"{"model":"m","input":"x","previous_response_id":"resp_gone"}"#, #"previous_response_id: previous response with id "resp_gone" not found"#),
        (#"{"model":"m","input":"x","tools":[{"type":"web_search"}]}"#, #"tools[0].type: the built-in tool "web_search" is not supported through a translated route"#),
        (#"{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["v"]}]}"#, #"tools[0].type: the built-in tool "file_search" is not supported through a translated route"#),
        (#"{"model":"m","input":"x","tools":[{"type":"computer_use_preview"}]}"#, #"tools[0].type: the built-in tool "computer_use_preview" is not supported through a translated route"#),
        (#"{"model":"m","input":"x","tools":[{"type":"code_interpreter"}]}"#, #"tools[0].type: the built-in tool "code_interpreter" is not supported through a translated route"#),
        (#"{"model":"m","input":"x","tools":[{"type":"mcp","server_label":"s"}]}"#, #"tools[0].type: the built-in tool "mcp" is not supported through a translated route"#),
        (#"{"model":"m","input":"x","tool_choice":{"type":"web_search_preview"}}"#, #"tool_choice.type: tool_choice of type "web_search_preview" is not supported through a translated route"#),
        (#"{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}"#, "input[0].type: an item_reference input item is not supported through a translated route"),
        (#"{"model":"m","input":[{"type":"web_search_call","id":"ws"}]}"#, #"input[0].type: the input item type "web_search_call" is not supported through a translated route"#),
        (#"{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}"#, "input[0].content[0].type: an input_file content part is not supported through a translated route"),
        (#"{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"f"}]}]}"#, "input[0].content[0].file_id: an input_image by file_id (the Files API) is not supported through a translated route"),
        (#"{"model":"m","input":"x","background":true}"#, "background: background mode is not supported through a translated route"),
        (#"{"model":"m","input":"x","truncation":"auto"}"#, #"truncation: truncation "auto" is not supported through a translated route"#),
        (#"{"model":"m","input":"x","text":{"verbosity":"low"}}"#, "text.verbosity: text.verbosity is not supported through a translated route"),
        (#"{"model":"m","input":"x","seed":1}"#, "seed: unknown field (not supported through a translated route)"),
        (#"{"input":"x"}"#, "model: field required"),
        (#"{"model":"m","input":[{"role":"tool","content":"x"}]}"#, #"input[0].role: expected "user", "assistant", "system" or "developer" (got "tool")"#),
    ] as [(String, String)])
    func rejectionsNameTheField(body: String, message: String) {
        let error = rejection { _ = try translate(body) }
        #expect(error?.message == message)
        #expect(error?.status == 400)
        #expect(error?.openAIBody["error"]?["type"] == "invalid_request_error")
    }
}
