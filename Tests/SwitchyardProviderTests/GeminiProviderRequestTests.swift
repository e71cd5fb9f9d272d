import CSwitchyardPlugin
import Glibc
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Canonical chat requests → Gemini generateContent requests, built through the plugin's ABI.
@Suite struct GeminiProviderRequestTests {
    let harness: ProviderHarness

    init() throws { harness = try GeminiFixtures.harness() }

    @Test func wholeAndStreamedChatGoToTheirMethodsWithJSONHeaders() throws {
        let whole = try harness.prepare(GeminiFixtures.chat(GeminiFixtures.hello), ProviderHarness.call(model: "gemini-2.5-flash")).get()
        #expect(whole.method == "POST")
        #expect(whole.url == "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:generateContent")
        #expect(whole.headers.contains { $0.name == "Content-Type" && $0.value == "application/json" })
        #expect(!whole.headers.contains { $0.name.lowercased() == "x-goog-api-key" })

        let stream = try harness.prepare(GeminiFixtures.chat(GeminiFixtures.hello), ProviderHarness.call(stream: true, model: "gemini-2.5-flash")).get()
        #expect(stream.url == "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
    }

    @Test func apiKeyTravelsInTheGoogleHeaderNeverInTheURL() throws {
        setenv("SWITCHYARD_GEMINI_TEST_KEY", "AIza-test-key", 1)
        let keyed = try ProviderHarness(product: "ProviderGemini", config: [
            "base_url": .string(GeminiFixtures.base), "api_key_env": "SWITCHYARD_GEMINI_TEST_KEY", "headers": ["x-extra": "1"],
        ])
        let request = try keyed.prepare(GeminiFixtures.chat(GeminiFixtures.hello), ProviderHarness.call(model: "gemini-2.5-flash")).get()
        #expect(request.headers.contains { $0.name == "x-goog-api-key" && $0.value == "AIza-test-key" })
        #expect(request.headers.contains { $0.name == "x-extra" && $0.value == "1" })
        #expect(!request.url.contains("key="))
    }

    @Test func unsetKeyVariableIsAConfigError() {
        #expect(throws: (any Error).self) {
            try ProviderHarness(product: "ProviderGemini", config: ["api_key_env": "SWITCHYARD_GEMINI_SURELY_UNSET"])
        }
    }

    @Test func modelNamesThatWouldChangeThePathAreRefused() {
        let failure = harness.geminiRejection(GeminiFixtures.chat(GeminiFixtures.hello), ProviderHarness.call(model: "../files?x"))
        #expect(failure?.httpStatus == 400)
    }

    @Test func rolesMapToUserModelAndSystemInstruction() throws {
        let body = try harness.geminiBody(GeminiFixtures.chat([
            ["role": "system", "content": "Be brief."],
            ["role": "developer", "content": [["type": "text", "text": "Answer in French."]]],
            ["role": "user", "content": "Hello"],
            ["role": "assistant", "content": "Bonjour"],
            ["role": "user", "content": [["type": "text", "text": "Again"]]],
        ]))
        #expect(body["systemInstruction"] == ["parts": [["text": "Be brief."], ["text": "Answer in French."]]])
        #expect(body["contents"] == [
            ["role": "user", "parts": [["text": "Hello"]]],
            ["role": "model", "parts": [["text": "Bonjour"]]],
            ["role": "user", "parts": [["text": "Again"]]],
        ])
    }

    @Test func imagesBecomeInlineDataOrFileDataAndAudioInlineData() throws {
        let body = try harness.geminiBody(GeminiFixtures.chat([
            ["role": "user", "content": [
                ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBORw0KGgo="]],
                ["type": "image_url", "image_url": ["url": "https://example.com/cat.JPG?size=large"]],
                ["type": "input_audio", "input_audio": ["data": "UklGRg==", "format": "wav"]],
                ["type": "file", "file": ["file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"]],
            ]],
        ]))
        #expect(body["contents"]?[0]?["parts"] == [
            ["inlineData": ["mimeType": "image/png", "data": "iVBORw0KGgo="]],
            ["fileData": ["mimeType": "image/jpeg", "fileUri": "https://example.com/cat.JPG?size=large"]],
            ["inlineData": ["mimeType": "audio/wav", "data": "UklGRg=="]],
            ["inlineData": ["mimeType": "application/pdf", "data": "JVBERi0="]],
        ])
    }

    @Test func imageURLWithoutAKnownExtensionIsRejected() {
        let failure = harness.geminiRejection(GeminiFixtures.chat([
            ["role": "user", "content": [["type": "image_url", "image_url": ["url": "https://example.com/picture"]]]],
        ]))
        #expect(failure?.status == SY_E_UNSUPPORTED)
        #expect(failure?.httpStatus == 400)
        #expect(failure?.message.contains("gemini") == true)
        #expect(failure?.message.contains("image_url") == true)
    }

    @Test func toolCallsAndResultsBecomeFunctionCallsAndOneMergedResponseTurn() throws {
        let body = try harness.geminiBody(GeminiFixtures.chat([
            ["role": "user", "content": "Weather in Paris and Rome?"],
            ["role": "assistant", "content": nil, "reasoning_signature": "sig-1", "tool_calls": [
                ["id": "call_a", "type": "function", "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#]],
                ["id": "call_b", "type": "function", "function": ["name": "get_time", "arguments": ""]],
            ]],
            ["role": "tool", "tool_call_id": "call_a", "content": #"{"temp_c":21}"#],
            ["role": "tool", "tool_call_id": "call_b", "content": "14:05"],
            ["role": "user", "content": "Thanks"],
        ]))
        #expect(body["contents"] == [
            ["role": "user", "parts": [["text": "Weather in Paris and Rome?"]]],
            ["role": "model", "parts": [
                ["functionCall": ["name": "get_weather", "args": ["city": "Paris"]], "thoughtSignature": "sig-1"],
                ["functionCall": ["name": "get_time", "args": [:]]],
            ]],
            ["role": "user", "parts": [
                ["functionResponse": ["name": "get_weather", "response": ["temp_c": 21]]],
                ["functionResponse": ["name": "get_time", "response": ["result": "14:05"]]],
            ]],
            ["role": "user", "parts": [["text": "Thanks"]]],
        ])
    }

    @Test func toolResultForAnUnknownCallIdIsA400() {
        let failure = harness.geminiRejection(GeminiFixtures.chat([
            ["role": "user", "content": "x"],
            ["role": "tool", "tool_call_id": "call_nowhere", "content": "1"],
        ]))
        #expect(failure?.status == SY_E_INVALID)
        #expect(failure?.httpStatus == 400)
        #expect(failure?.message.contains("call_nowhere") == true)
    }

    @Test func toolsBecomeFunctionDeclarationsWithRejectedSchemaKeysStripped() throws {
        let parameters: JSONValue = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object", "additionalProperties": false,
            "properties": [
                "city": ["type": "string", "description": "City name", "format": "hostname"],
                "unit": ["type": ["string", "null"], "enum": ["c", "f"]],
                "when": ["$ref": "#/$defs/Moment"],
                "tags": ["type": "array", "items": ["type": "string", "additionalProperties": false]],
            ],
            "required": ["city"],
            "$defs": ["Moment": ["type": "string", "format": "date-time"]],
        ]
        let body = try harness.geminiBody(GeminiFixtures.chat(GeminiFixtures.hello, [
            ("tools", [
                ["type": "function", "function": ["name": "get_weather", "description": "Current weather", "parameters": parameters, "strict": true]],
                ["type": "function", "function": ["name": "ping", "parameters": ["type": "object", "properties": [:]]]],
            ]),
        ]))
        #expect(body["tools"] == [["functionDeclarations": [
            ["name": "get_weather", "description": "Current weather", "parameters": [
                "type": "object",
                "properties": [
                    "city": ["type": "string", "description": "City name"],
                    "unit": ["type": "string", "nullable": true, "enum": ["c", "f"]],
                    "when": ["type": "string", "format": "date-time"],
                    "tags": ["type": "array", "items": ["type": "string"]],
                ],
                "required": ["city"],
            ]],
            ["name": "ping"],
        ]]])
    }

    @Test func recursiveSchemasAreRejected() {
        let failure = harness.geminiRejection(GeminiFixtures.chat(GeminiFixtures.hello, [
            ("tools", [["type": "function", "function": ["name": "tree", "parameters": [
                "type": "object", "properties": ["child": ["$ref": "#/$defs/Node"]],
                "$defs": ["Node": ["type": "object", "properties": ["child": ["$ref": "#/$defs/Node"]]]],
            ]]]]),
        ]))
        #expect(failure?.status == SY_E_UNSUPPORTED)
    }

    static let toolChoices: [(JSONValue, JSONValue)] = [
        ("auto", ["mode": "AUTO"]),
        ("none", ["mode": "NONE"]),
        ("required", ["mode": "ANY"]),
        (["type": "function", "function": ["name": "get_weather"]], ["mode": "ANY", "allowedFunctionNames": ["get_weather"]]),
        (["type": "allowed_tools", "allowed_tools": ["mode": "required", "tools": [["type": "function", "function": ["name": "a"]]]]],
         ["mode": "ANY", "allowedFunctionNames": ["a"]]),
    ]

    @Test(arguments: toolChoices)
    func toolChoiceMapsToFunctionCallingMode(choice: JSONValue, expected: JSONValue) throws {
        let body = try harness.geminiBody(GeminiFixtures.chat(GeminiFixtures.hello, [
            ("tools", [["type": "function", "function": ["name": "get_weather"]]]), ("tool_choice", choice),
        ]))
        #expect(body["toolConfig"] == ["functionCallingConfig": expected])
    }

    @Test func samplingAndOutputFieldsMapToGenerationConfig() throws {
        let body = try harness.geminiBody(GeminiFixtures.chat(GeminiFixtures.hello, [
            ("temperature", .number("0.7")), ("top_p", .number("0.9")), ("top_k", 40), ("max_tokens", 100),
            ("max_completion_tokens", 256), ("stop", "END"), ("n", 2), ("seed", 7),
            ("presence_penalty", .number("0.5")), ("frequency_penalty", .number("-0.5")),
            ("logprobs", true), ("top_logprobs", 3), ("reasoning_effort", "low"),
            ("user", "u-1"), ("store", false), ("parallel_tool_calls", true),
        ]))
        #expect(body["generationConfig"] == [
            "temperature": .number("0.7"), "topP": .number("0.9"), "topK": 40, "candidateCount": 2, "seed": 7,
            "presencePenalty": .number("0.5"), "frequencyPenalty": .number("-0.5"), "maxOutputTokens": 256,
            "stopSequences": ["END"], "logprobs": 3, "responseLogprobs": true,
            "thinkingConfig": ["thinkingBudget": 1024, "includeThoughts": true],
        ])
    }

    @Test(arguments: [("none", 0), ("minimal", 0), ("medium", 8192), ("high", 24576)])
    func reasoningEffortSetsTheThinkingBudget(effort: String, budget: Int) throws {
        let body = try harness.geminiBody(GeminiFixtures.chat(GeminiFixtures.hello, [("reasoning_effort", .string(effort))]))
        #expect(body["generationConfig"]?["thinkingConfig"]?["thinkingBudget"]?.intValue == budget)
    }

    @Test func responseFormatsSetMimeTypeAndApproximatedSchema() throws {
        let object = try harness.geminiBody(GeminiFixtures.chat(GeminiFixtures.hello, [("response_format", ["type": "json_object"])]))
        #expect(object["generationConfig"] == ["responseMimeType": "application/json"])

        let schema = try harness.geminiBody(GeminiFixtures.chat(GeminiFixtures.hello, [("response_format", [
            "type": "json_schema",
            "json_schema": ["name": "person", "strict": true, "schema": [
                "type": "object", "additionalProperties": false,
                "properties": ["name": ["type": "string"], "kind": ["const": "person"]], "required": ["name"],
            ]],
        ])]))
        #expect(schema["generationConfig"] == [
            "responseMimeType": "application/json",
            "responseSchema": ["type": "object", "properties": ["name": ["type": "string"], "kind": ["enum": ["person"]]], "required": ["name"]],
        ])
    }

    static let unsupportedFields: [(String, JSONValue)] = [
        ("logit_bias", ["50256": -100]),
        ("modalities", ["text", "audio"]),
        ("audio", ["voice": "alloy", "format": "wav"]),
        ("parallel_tool_calls", false),
        ("prediction", ["type": "content", "content": "x"]),
        ("function_call", "auto"),
    ]

    @Test(arguments: unsupportedFields)
    func fieldsGeminiCannotHonourAreRejectedByName(field: String, value: JSONValue) {
        let failure = harness.geminiRejection(GeminiFixtures.chat(GeminiFixtures.hello, [(field, value)]))
        #expect(failure?.status == SY_E_UNSUPPORTED)
        #expect(failure?.httpStatus == 400)
        #expect(failure?.message.contains(field) == true)
        #expect(failure?.message.contains("gemini") == true)
    }

    @Test func countTokensSendsAGenerateContentRequestWithSystemAndTools() throws {
        let call = ProviderHarness.call(SY_OP_COUNT_TOKENS, model: "gemini-2.5-flash")
        let request = try harness.prepare(GeminiFixtures.chat([
            ["role": "system", "content": "Be brief."], ["role": "user", "content": "Hello"],
        ], [("tools", [["type": "function", "function": ["name": "ping"]]]), ("max_tokens", 5)]), call).get()
        #expect(request.url == "http://127.0.0.1:9/v1beta/models/gemini-2.5-flash:countTokens")
        #expect(try JSONValue.parse(request.body) == ["generateContentRequest": [
            "model": "models/gemini-2.5-flash",
            "contents": [["role": "user", "parts": [["text": "Hello"]]]],
            "systemInstruction": ["parts": [["text": "Be brief."]]],
            "tools": [["functionDeclarations": [["name": "ping"]]]],
        ]])
    }
}
