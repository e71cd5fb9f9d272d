import CSwitchyardPlugin
import Glibc
import SwitchyardJSON
import Testing

/// Canonical chat requests → the Anthropic Messages request the plugin builds.
@Suite struct AnthropicProviderRequestTests {
    let harness: ProviderHarness

    init() throws { harness = try ProviderHarness.anthropic() }

    @Test func chatGoesToMessagesWithVersionHeaderAndDefaultLimit() throws {
        let request = try harness.prepare(ProviderHarness.chat()).get()
        #expect(request.url == "http://127.0.0.1:9/v1/messages")
        #expect(request.method == "POST")
        #expect(request.header("anthropic-version") == "2023-06-01")
        #expect(request.header("x-api-key") == nil)
        #expect(request.header("content-type") == "application/json")
        let body = try JSONValue.parse(request.body)
        #expect(body == ["model": "claude-sonnet-4-5", "max_tokens": 4096, "messages": [["role": "user", "content": [["type": "text", "text": "Hello"]]]]])
    }

    @Test func apiKeyBetaVersionAndExtraHeadersComeFromConfig() throws {
        setenv("SWITCHYARD_TEST_ANTHROPIC_KEY", "sk-ant-test", 1)
        let configured = try ProviderHarness.anthropic([
            ("api_key_env", "SWITCHYARD_TEST_ANTHROPIC_KEY"), ("anthropic_version", "2024-01-01"),
            ("beta", ["prompt-caching-2024-07-31", "output-128k-2025-02-19"]), ("headers", ["x-team": "search"]),
            ("default_max_tokens", 1000),
        ])
        let request = try configured.prepare(ProviderHarness.chat()).get()
        #expect(request.header("x-api-key") == "sk-ant-test")
        #expect(request.header("anthropic-version") == "2024-01-01")
        #expect(request.header("anthropic-beta") == "prompt-caching-2024-07-31,output-128k-2025-02-19")
        #expect(request.header("x-team") == "search")
        #expect(try JSONValue.parse(request.body)["max_tokens"] == 1000)
    }

    @Test func unsetKeyVariableAndUnknownKeysAreConfigErrors() {
        #expect(throws: (any Error).self) { try ProviderHarness.anthropic([("api_key_env", "SWITCHYARD_TEST_UNSET_VARIABLE_42")]) }
        #expect(throws: (any Error).self) { try ProviderHarness.anthropic([("api_base", "http://x")]) }
        #expect(throws: (any Error).self) { try ProviderHarness.anthropic([("default_max_tokens", 0)]) }
    }

    @Test func systemAndDeveloperTurnsBecomeSystemBlocksInOrder() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat([
            ["role": "system", "content": "You are terse."],
            ["role": "developer", "content": [["type": "text", "text": "Answer in French."]]],
            ["role": "user", "content": "Hi"],
        ]))
        #expect(body["system"] == [["type": "text", "text": "You are terse."], ["type": "text", "text": "Answer in French."]])
        #expect(body["messages"]?.arrayValue?.count == 1)
    }

    @Test func multiTurnKeepsRolesAndTextParts() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat([
            ["role": "user", "content": "Hello there."],
            ["role": "assistant", "content": "Hi, I'm Claude. How can I help you?"],
            ["role": "user", "content": [["type": "text", "text": "Can you explain LLMs"], ["type": "text", "text": " in plain English?"]]],
        ]))
        #expect(body["messages"] == [
            ["role": "user", "content": [["type": "text", "text": "Hello there."]]],
            ["role": "assistant", "content": [["type": "text", "text": "Hi, I'm Claude. How can I help you?"]]],
            ["role": "user", "content": [["type": "text", "text": "Can you explain LLMs"], ["type": "text", "text": " in plain English?"]]],
        ])
    }

    @Test func imagePartsBecomeBase64OrURLSources() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat([[
            "role": "user",
            "content": [
                ["type": "image_url", "image_url": ["url": "data:image/jpeg;base64,/9j/4AAQSkZJRg==", "detail": "high"]],
                ["type": "image_url", "image_url": ["url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"]],
                ["type": "text", "text": "Compare these images."],
            ],
        ]]))
        #expect(body["messages"]?[0]?["content"] == [
            ["type": "image", "source": ["type": "base64", "media_type": "image/jpeg", "data": "/9j/4AAQSkZJRg=="]],
            ["type": "image", "source": ["type": "url", "url": "https://upload.wikimedia.org/wikipedia/commons/a/a7/Camponotus_flavomarginatus_ant.jpg"]],
            ["type": "text", "text": "Compare these images."],
        ])
    }

    @Test func inlinePDFBecomesADocumentAndOtherFilesAreRefused() throws {
        let pdf: JSONValue = ["type": "file", "file": ["filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0xLjQ="]]
        let body = try harness.anthropicBody(ProviderHarness.chat([["role": "user", "content": [pdf]]]))
        #expect(body["messages"]?[0]?["content"]?[0] == ["type": "document", "source": ["type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="]])

        let uploaded: JSONValue = ["type": "file", "file": ["file_id": "file-abc"]]
        #expect(harness.refusal(ProviderHarness.chat([["role": "user", "content": [uploaded]]]))?.message.contains("file_id") == true)
        let audio: JSONValue = ["type": "input_audio", "input_audio": ["data": "AAAA", "format": "wav"]]
        let refusal = harness.refusal(ProviderHarness.chat([["role": "user", "content": [audio]]]))
        #expect(refusal?.httpStatus == 400)
        #expect(refusal?.message.contains("input_audio") == true)
        #expect(refusal?.message.contains("anthropic") == true)
    }

    @Test func assistantToolCallsBecomeToolUseAndToolResultsShareOneUserTurn() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat([
            ["role": "user", "content": "Weather in Paris and London?"],
            ["role": "assistant", "content": "Checking both.", "tool_calls": [
                ["id": "toolu_01A", "type": "function", "function": ["name": "get_weather", "arguments": #"{"location":"Paris"}"#]],
                ["id": "toolu_01B", "type": "function", "function": ["name": "get_weather", "arguments": #"{"location":"London"}"#]],
            ]],
            ["role": "tool", "tool_call_id": "toolu_01A", "content": "18°C"],
            ["role": "tool", "tool_call_id": "toolu_01B", "content": [["type": "text", "text": "12°C, rain"]]],
            ["role": "user", "content": "Which is warmer?"],
        ]))
        #expect(body["messages"] == [
            ["role": "user", "content": [["type": "text", "text": "Weather in Paris and London?"]]],
            ["role": "assistant", "content": [
                ["type": "text", "text": "Checking both."],
                ["type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": ["location": "Paris"]],
                ["type": "tool_use", "id": "toolu_01B", "name": "get_weather", "input": ["location": "London"]],
            ]],
            ["role": "user", "content": [
                ["type": "tool_result", "tool_use_id": "toolu_01A", "content": "18°C"],
                ["type": "tool_result", "tool_use_id": "toolu_01B", "content": [["type": "text", "text": "12°C, rain"]]],
                ["type": "text", "text": "Which is warmer?"],
            ]],
        ])
    }

    @Test func emptyArgumentsAreAnEmptyInputAndUnparsableArgumentsAre400() throws {
        let call: (String) -> JSONValue = { arguments in
            ProviderHarness.chat([
                ["role": "user", "content": "now?"],
                ["role": "assistant", "content": nil, "tool_calls": [["id": "toolu_1", "type": "function", "function": ["name": "clock", "arguments": .string(arguments)]]]],
                ["role": "tool", "tool_call_id": "toolu_1", "content": "12:00"],
            ])
        }
        let body = try harness.anthropicBody(call(""))
        #expect(body["messages"]?[1]?["content"] == [["type": "tool_use", "id": "toolu_1", "name": "clock", "input": [:]]])
        for broken in [#"{"tz": "#, "[1,2]"] {
            let failure = harness.refusal(call(broken))
            #expect(failure?.httpStatus == 400)
            #expect(failure?.message.contains("arguments") == true)
        }
    }

    @Test func signedReasoningLeadsTheAssistantTurnAndUnsignedReasoningIsLeftOut() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat([
            ["role": "user", "content": "2+2?"],
            ["role": "assistant", "content": "4", "reasoning_content": "Adding.", "reasoning_signature": "EqQBCgIYAhIM"],
            ["role": "user", "content": "3+3?"],
            ["role": "assistant", "content": "6", "reasoning_content": "From another provider."],
            ["role": "user", "content": "And 4+4?"],
        ]))
        #expect(body["messages"]?[1]?["content"] == [
            ["type": "thinking", "thinking": "Adding.", "signature": "EqQBCgIYAhIM"], ["type": "text", "text": "4"],
        ])
        #expect(body["messages"]?[3]?["content"] == [["type": "text", "text": "6"]])
    }

    @Test func toolsAndEveryToolChoiceTranslate() throws {
        let tools: JSONValue = [[
            "type": "function",
            "function": ["name": "get_weather", "description": "Get the current weather in a given location",
                         "parameters": ["type": "object", "properties": ["location": ["type": "string"]], "required": ["location"]]],
        ], ["type": "function", "function": ["name": "now"]]]
        let choices: [(JSONValue?, JSONValue?, JSONValue?)] = [
            (nil, nil, nil),
            ("auto", nil, ["type": "auto"]),
            ("none", nil, ["type": "none"]),
            ("required", nil, ["type": "any"]),
            (["type": "function", "function": ["name": "get_weather"]], nil, ["type": "tool", "name": "get_weather"]),
            (nil, false, ["type": "auto", "disable_parallel_tool_use": true]),
            ("required", false, ["type": "any", "disable_parallel_tool_use": true]),
            (nil, true, nil),
        ]
        for (choice, parallel, expected) in choices {
            var fields: [(String, JSONValue)] = [("tools", tools)]
            if let choice { fields.append(("tool_choice", choice)) }
            if let parallel { fields.append(("parallel_tool_calls", parallel)) }
            let body = try harness.anthropicBody(ProviderHarness.chat(fields: fields))
            #expect(body["tool_choice"] == expected, "tool_choice \(choice?.jsonText ?? "-") parallel \(parallel?.jsonText ?? "-")")
            #expect(body["tools"] == [
                ["name": "get_weather", "description": "Get the current weather in a given location",
                 "input_schema": ["type": "object", "properties": ["location": ["type": "string"]], "required": ["location"]]],
                ["name": "now", "input_schema": ["type": "object", "properties": [:]]],
            ])
        }
        #expect(try harness.anthropicBody(ProviderHarness.chat(fields: [("tool_choice", "none")]))["tool_choice"] == nil)
    }

    @Test func samplingStopLimitsAndUserMap() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat(fields: [
            ("temperature", .number("0.7")), ("top_p", .number("0.9")), ("top_k", 40), ("stop", "\n\nHuman:"),
            ("max_tokens", 100), ("max_completion_tokens", 200), ("user", "user-1234"), ("store", false), ("n", 1),
            ("stream_options", ["include_usage": true]), ("metadata", ["session": "s1"]),
        ]))
        #expect(body["temperature"] == .number("0.7"))
        #expect(body["top_p"] == .number("0.9"))
        #expect(body["top_k"] == 40)
        #expect(body["stop_sequences"] == ["\n\nHuman:"])
        #expect(body["max_tokens"] == 200)
        #expect(body["metadata"] == ["user_id": "user-1234"])
        #expect(body["stream"] == nil)
        #expect(try harness.anthropicBody(ProviderHarness.chat(fields: [("stop", ["END", "STOP"])]))["stop_sequences"] == ["END", "STOP"])
        #expect(try harness.anthropicBody(ProviderHarness.chat(fields: [("max_tokens", 50)]))["max_tokens"] == 50)
    }

    @Test func streamingCallsAskAnthropicToStream() throws {
        let request = try harness.prepare(ProviderHarness.chat(fields: [("stream", true)]), ProviderHarness.call(stream: true)).get()
        #expect(try JSONValue.parse(request.body)["stream"] == true)
        #expect(request.header("accept") == "text/event-stream")
    }

    @Test func reasoningEffortBecomesAThinkingBudgetBelowMaxTokens() throws {
        let medium = try harness.anthropicBody(ProviderHarness.chat(fields: [("reasoning_effort", "medium")]))
        #expect(medium["thinking"] == ["type": "enabled", "budget_tokens": 8192])
        #expect(medium["max_tokens"] == .number(4096 + 8192))

        let capped = try harness.anthropicBody(ProviderHarness.chat(fields: [("reasoning_effort", "high"), ("max_completion_tokens", 16000)]))
        #expect(capped["max_tokens"] == 16000)
        #expect(capped["thinking"] == ["type": "enabled", "budget_tokens": 15999])

        let low = try harness.anthropicBody(ProviderHarness.chat(fields: [("reasoning_effort", "low"), ("max_tokens", 20000)]))
        #expect(low["thinking"] == ["type": "enabled", "budget_tokens": 2048])
        #expect(try harness.anthropicBody(ProviderHarness.chat(fields: [("reasoning_effort", "none")]))["thinking"] == nil)

        #expect(harness.refusal(ProviderHarness.chat(fields: [("reasoning_effort", "low"), ("max_tokens", 1000)]))?.httpStatus == 400)
        #expect(harness.refusal(ProviderHarness.chat(fields: [("reasoning_effort", "extreme")]))?.httpStatus == 400)
    }

    @Test func fieldsAnthropicCannotHonourAreRefusedByName() {
        let cases: [(String, JSONValue, String)] = [
            ("n", 2, "n=2"), ("logprobs", true, "logprobs"), ("top_logprobs", 3, "top_logprobs"),
            ("logit_bias", ["50256": -100], "logit_bias"), ("presence_penalty", .number("0.5"), "presence_penalty"),
            ("frequency_penalty", .number("-1"), "frequency_penalty"), ("seed", 42, "seed"),
            ("audio", ["voice": "alloy", "format": "wav"], "audio"), ("modalities", ["text", "audio"], "modalities"),
            ("response_format", ["type": "json_object"], "response_format"),
            ("response_format", ["type": "json_schema", "json_schema": ["name": "x", "schema": [:]]], "response_format"),
            ("prediction", ["type": "content", "content": "x"], "prediction"), ("service_tier", "flex", "service_tier"),
            ("functions", [["name": "f"]], "functions"), ("made_up_field", 1, "made_up_field"),
        ]
        for (field, value, named) in cases {
            let failure = harness.refusal(ProviderHarness.chat(fields: [(field, value)]))
            #expect(failure?.status == SY_E_UNSUPPORTED, "\(field)")
            #expect(failure?.httpStatus == 400, "\(field)")
            #expect(failure?.message.contains(named) == true, "\(field): \(failure?.message ?? "accepted")")
            #expect(failure?.message.contains("anthropic") == true, "\(field)")
        }
        let harmless: [(String, JSONValue)] = [
            ("n", 1), ("logprobs", false), ("presence_penalty", 0), ("frequency_penalty", .number("0.0")), ("seed", nil),
            ("modalities", ["text"]), ("response_format", ["type": "text"]), ("logit_bias", [:]), ("service_tier", "auto"),
        ]
        for (field, value) in harmless {
            #expect(harness.refusal(ProviderHarness.chat(fields: [(field, value)])) == nil, "\(field)")
        }
    }

    @Test func countTokensSendsOnlyThePromptToTheCounter() throws {
        let canonical = ProviderHarness.chat([["role": "system", "content": "Be brief."], ["role": "user", "content": "Hello"]], fields: [
            ("max_tokens", 10), ("temperature", 1), ("stream", true), ("user", "u1"),
            ("tools", [["type": "function", "function": ["name": "now"]]]), ("reasoning_effort", "low"),
        ])
        let request = try harness.prepare(canonical, ProviderHarness.call(SY_OP_COUNT_TOKENS)).get()
        #expect(request.url == "http://127.0.0.1:9/v1/messages/count_tokens")
        #expect(try JSONValue.parse(request.body) == [
            "model": "claude-sonnet-4-5",
            "system": [["type": "text", "text": "Be brief."]],
            "messages": [["role": "user", "content": [["type": "text", "text": "Hello"]]]],
            "tools": [["name": "now", "input_schema": ["type": "object", "properties": [:]]]],
            "thinking": ["type": "enabled", "budget_tokens": 2048],
        ])
    }

    @Test func nativeMessagesBodyIsForwardedByteForByte() throws {
        let native = #"{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Hello, world"}],"cache_control":{"type":"ephemeral"}}"#
        let request = try Array(native.utf8).withUnsafeBytes { harness.provider.prepare(ProviderHarness.call(SY_OP_MESSAGES), body: $0) }.get()
        #expect(request.url == "http://127.0.0.1:9/v1/messages")
        #expect(request.body == Array(native.utf8))
        #expect(request.header("anthropic-version") == "2023-06-01")
    }

    @Test func malformedMessagesAre400() {
        let cases: [JSONValue] = [
            ProviderHarness.chat([["role": "narrator", "content": "x"]]),
            ProviderHarness.chat([["role": "user", "content": 42]]),
            ProviderHarness.chat([["role": "tool", "content": "no id"]]),
            ProviderHarness.chat([["role": "user", "content": [["type": "image_url", "image_url": ["url": "data:image/png,notbase64"]]]]]),
            ProviderHarness.chat([]),
            ["messages": [["role": "user", "content": "no model"]]],
        ]
        for canonical in cases {
            #expect(harness.refusal(canonical)?.httpStatus == 400, "\(canonical.jsonText)")
        }
        #expect(harness.refusal(ProviderHarness.chat([["role": "function", "name": "f", "content": "x"]]))?.status == SY_E_UNSUPPORTED)
    }

    @Test func assistantRefusalPartsAreKeptAsText() throws {
        let body = try harness.anthropicBody(ProviderHarness.chat([
            ["role": "user", "content": "Do the bad thing."],
            ["role": "assistant", "content": [["type": "refusal", "refusal": "I can't help with that."]]],
            ["role": "user", "content": "OK, something else."],
        ]))
        #expect(body["messages"]?[1]?["content"] == [["type": "text", "text": "I can't help with that."]])
    }

    @Test func otherOperationsAreRefused() {
        #expect(harness.refusal(["model": "m", "input": "x"], ProviderHarness.call(SY_OP_EMBEDDINGS))?.status == SY_E_UNSUPPORTED)
    }
}
