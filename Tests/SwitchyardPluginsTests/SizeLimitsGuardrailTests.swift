import CSwitchyardPlugin
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// libGuardrailSizeLimits.so through dlopen: input limits reject with the numbers, the output
/// limit is forced by a patch only when the request asks for more or for nothing.
@Suite struct SizeLimitsGuardrailTests {
    static let library = "libGuardrailSizeLimits.so"

    func limits(_ config: String) throws -> LoadedGuardrail {
        try LoadedGuardrail.load(Self.library, config: config)
    }

    func chat(_ texts: [String], extra: [(String, JSONValue)] = []) -> JSONValue {
        var object = JSONObject([(key: "model", value: "m"),
                                 (key: "messages", value: .array(texts.map { ["role": "user", "content": .string($0)] }))])
        for (key, value) in extra { object[key] = value }
        return .object(object)
    }

    @Test func tooManyCharactersAreRejectedWithTheNumbers() throws {
        let guardrail = try limits(#"{"max_input_characters":8000}"#)
        let verdict = try guardrail.inspect(chat([String(repeating: "a", count: 14_000), String(repeating: "é", count: 210)]), phase: SY_PHASE_REQUEST)
        #expect(verdict.rejections.first?.status == 400)
        #expect(verdict.rejectionMessage == "the request has 14,210 characters of input; this route allows 8,000")
        #expect(verdict.rejectionCode == "request_too_large")
        #expect(try guardrail.inspect(chat([String(repeating: "é", count: 8000)]), phase: SY_PHASE_REQUEST).allowed)
    }

    @Test func textPartsAndToolCallArgumentsCount() throws {
        let guardrail = try limits(#"{"max_input_characters":10}"#)
        let parts: JSONValue = ["model": "m", "messages": [
            ["role": "user", "content": [["type": "text", "text": "12345"], ["type": "image_url", "image_url": ["url": "https://x/very-long-name.png"]]]],
            ["role": "assistant", "content": nil, "tool_calls": [["id": "1", "type": "function", "function": ["name": "f", "arguments": "{\"a\":1}"]]]],
        ]]
        #expect(try guardrail.inspect(parts, phase: SY_PHASE_REQUEST).rejectionMessage
            == "the request has 13 characters of input; this route allows 10")
    }

    @Test func estimatedTokensAreBytesOverFourPlusFourPerMessage() throws {
        let guardrail = try limits(#"{"max_input_tokens":2000}"#)
        // 3 messages: 3 × 4 + ceil(5001/4) × 2 + ceil(2/4) = 12 + 2502 + 1 = 2515.
        let request = chat([String(repeating: "x", count: 5001), String(repeating: "y", count: 5001), "hi"])
        let verdict = try guardrail.inspect(request, phase: SY_PHASE_REQUEST)
        #expect(verdict.rejectionMessage == "the request has about 2,515 tokens of input (estimated); this route allows 2,000")
        #expect(verdict.rejectionCode == "context_length_exceeded")
        #expect(try guardrail.inspect(chat([String(repeating: "x", count: 7980)]), phase: SY_PHASE_REQUEST).allowed)  // 4 + 1995
        #expect(try !guardrail.inspect(chat([String(repeating: "x", count: 7985)]), phase: SY_PHASE_REQUEST).allowed)  // 4 + 1997
    }

    @Test func embeddingsInputCountsStringsAndTokenIDs() throws {
        let guardrail = try limits(#"{"max_input_tokens":3,"max_input_characters":10}"#)
        let ids = try guardrail.inspect(["model": "e", "input": [[1, 2], [3, 4]]], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS)
        #expect(ids.rejectionMessage == "the request has about 4 tokens of input (estimated); this route allows 3")
        let text = try guardrail.inspect(["model": "e", "input": ["abcdef", "ghijk"]], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS)
        #expect(text.rejectionMessage == "the request has 11 characters of input; this route allows 10")
        #expect(try guardrail.inspect(["model": "e", "input": "abc"], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS).allowed)
    }

    @Test func tooManyMessagesAreRejectedFirst() throws {
        let guardrail = try limits(#"{"max_messages":2,"max_input_characters":1}"#)
        let verdict = try guardrail.inspect(chat(["a", "b", "c"]), phase: SY_PHASE_REQUEST)
        #expect(verdict.rejectionMessage == "the request has 3 messages; this route allows 2")
        #expect(verdict.rejectionCode == "request_too_large")
    }

    // MARK: max_output_tokens

    func capped(_ extra: [(String, JSONValue)]) throws -> (VerdictRecorder, JSONValue) {
        let request = chat(["hi"], extra: extra)
        let verdict = try (try limits(#"{"max_output_tokens":500}"#)).inspect(request, phase: SY_PHASE_REQUEST)
        let patched = try verdict.operations.map { try TestJSONPatch.apply($0, to: request) } ?? request
        return (verdict, patched)
    }

    @Test func aRequestWithoutAnOutputLimitGetsMaxTokens() throws {
        let (verdict, patched) = try capped([])
        #expect(verdict.operations == [["op": "add", "path": "/max_tokens", "value": 500]])
        #expect(patched["max_tokens"] == 500)
        let (nulled, _) = try capped([("max_tokens", nil)])
        #expect(nulled.operations == [["op": "replace", "path": "/max_tokens", "value": 500]])
    }

    @Test func aLargerLimitIsLoweredInTheFieldTheRequestUses() throws {
        let (maxTokens, _) = try capped([("max_tokens", 4096)])
        #expect(maxTokens.operations == [["op": "replace", "path": "/max_tokens", "value": 500]])
        let (completion, patched) = try capped([("max_completion_tokens", 9000)])
        #expect(completion.operations == [["op": "replace", "path": "/max_completion_tokens", "value": 500]])
        #expect(patched["max_tokens"] == nil && patched["max_completion_tokens"] == 500)
        let (both, _) = try capped([("max_tokens", 600), ("max_completion_tokens", 700)])
        #expect(both.operations == [["op": "replace", "path": "/max_tokens", "value": 500],
                                    ["op": "replace", "path": "/max_completion_tokens", "value": 500]])
    }

    @Test func aRequestWithinTheOutputLimitIsLeftAlone() throws {
        #expect(try capped([("max_tokens", 500)]).0.allowed)
        #expect(try capped([("max_completion_tokens", 20)]).0.allowed)
        let embeddings = try (try limits(#"{"max_output_tokens":5}"#)).inspect(["model": "e", "input": "x"], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS)
        #expect(embeddings.allowed)
    }

    // MARK: config

    @Test(arguments: [#"{}"#, #"{"max_messages":0}"#, #"{"max_messages":2.5}"#, #"{"max_input_tokens":"100"}"#, #"{"max_tokens":100}"#])
    func aBadConfigIsRefusedBySchemaAndByInstanceNew(_ config: String) throws {
        let library = try PluginLibrary.load(path: Fixtures.product(Self.library), entry: "size-limits")
        #expect(try #require(library.configSchema).violation(in: try JSONValue.parse(config)) != nil)
        #expect(throws: PluginLoadError.self) { try library.instantiate(name: "size-limits", configJSON: Array(config.utf8)) }
    }

    @Test func theLibraryDeclaresTheRequestPhaseOnly() throws {
        #expect(try limits(#"{"max_messages":1}"#).guardrail.phases == SY_PHASE_REQUEST)
    }
}
