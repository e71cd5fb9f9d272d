import CSwitchyardPlugin
import SwitchyardJSON
import Testing

/// Anthropic event streams → canonical chunks, fed in pieces from one byte to the whole stream.
@Suite struct AnthropicProviderStreamTests {
    let harness: ProviderHarness

    init() throws { harness = try ProviderHarness.anthropic() }

    static let chunkSizes = [1, 3, 64, Int.max]

    /// The docs' text stream, with the spaced JSON of the docs' examples for `ping`.
    static let textStream = anthropicEvents([
        #"{"type":"message_start","message":{"id":"msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"cache_creation_input_tokens":0,"cache_read_input_tokens":10,"output_tokens":1}}}"#,
        #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        #"{"type": "ping"}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", \"wörld\"\n"}}"#,
        #"{"type":"content_block_stop","index":0}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
        #"{"type":"message_stop"}"#,
    ])

    @Test(arguments: chunkSizes) func textStreamBecomesRoleContentAndFinishChunks(chunkSize: Int) throws {
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: Self.textStream, chunkSize: chunkSize)
        #expect(transcript.failure == nil)
        #expect(transcript.unparsable.isEmpty)
        #expect(transcript.json.count == 4)
        let first = try #require(transcript.json.first)
        #expect(first["id"] == "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY")
        #expect(first["object"] == "chat.completion.chunk")
        #expect(first["model"] == "claude-sonnet-4-5-20250929")
        #expect(first["choices"]?[0]?["delta"] == ["role": "assistant", "content": ""])
        #expect(transcript.streamedContent == "Hello, \"wörld\"\n")
        #expect(transcript.finishReasons == ["stop"])
        #expect(transcript.json.last?["choices"]?[0]?["delta"] == [:])
        #expect(transcript.usage == [
            "prompt_tokens": 35, "completion_tokens": 15, "total_tokens": 50,
            "prompt_tokens_details": ["cached_tokens": 10, "cache_creation_tokens": 0],
        ])
    }

    @Test func usageChunkFollowsOnlyWhenTheRequestAskedForIt() throws {
        let asked = ProviderHarness.chat(fields: [("stream", true), ("stream_options", ["include_usage": true])])
        _ = try harness.prepare(asked, ProviderHarness.call(stream: true)).get()
        let withUsage = harness.respond(ProviderHarness.call(stream: true, request: asked), body: Self.textStream)
        #expect(withUsage.json.count == 5)
        #expect(withUsage.json.last?["choices"] == [])
        #expect(withUsage.json.last?["usage"]?["total_tokens"] == 50)
        #expect(withUsage.json.last?["id"] == "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY")

        // The note is used up: the next response for another call carries no usage chunk.
        let withoutUsage = harness.respond(ProviderHarness.call(stream: true), body: Self.textStream)
        #expect(withoutUsage.json.count == 4)
        #expect(withoutUsage.usage?["total_tokens"] == 50)
    }

    /// text, tool_use, text, tool_use: tool calls are numbered 0 and 1 whatever their block index.
    static let parallelToolStream = anthropicEvents([
        #"{"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-opus-4-1-20250805","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}"#,
        #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay, let's check the weather"}}"#,
        #"{"type":"content_block_stop","index":0}"#,
        #"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"San Fra"}}"#,
        #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco, CA\"}"}}"#,
        #"{"type":"content_block_stop","index":1}"#,
        #"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}"#,
        #"{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":" and the time."}}"#,
        #"{"type":"content_block_stop","index":2}"#,
        #"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_02","name":"get_time","input":{}}}"#,
        #"{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"tz\": \"America/Los_Angeles\"}"}}"#,
        #"{"type":"content_block_stop","index":3}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#,
        #"{"type":"message_stop"}"#,
    ])

    @Test(arguments: chunkSizes) func parallelToolCallsInterleavedWithTextKeepTheirOwnIndices(chunkSize: Int) throws {
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: Self.parallelToolStream, chunkSize: chunkSize)
        #expect(transcript.failure == nil)
        #expect(transcript.streamedContent == "Okay, let's check the weather and the time.")
        let starts = transcript.deltas.compactMap { $0["tool_calls"]?[0] }.filter { $0["id"] != nil }
        #expect(starts == [
            ["index": 0, "id": "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "type": "function", "function": ["name": "get_weather", "arguments": ""]],
            ["index": 1, "id": "toolu_02", "type": "function", "function": ["name": "get_time", "arguments": ""]],
        ])
        let arguments = transcript.streamedArguments
        #expect(try JSONValue.parse(arguments[0] ?? "") == ["location": "San Francisco, CA"])
        #expect(try JSONValue.parse(arguments[1] ?? "") == ["tz": "America/Los_Angeles"])
        #expect(transcript.finishReasons == ["tool_calls"])
        #expect(transcript.json.last?["choices"]?[0]?["finish_reason"] == "tool_calls")
    }

    static let thinkingStream = anthropicEvents([
        #"{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":40,"output_tokens":1}}}"#,
        #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147"}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"\n462 = 3 × 147 + 21"}}"#,
        #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}}"#,
        #"{"type":"content_block_stop","index":0}"#,
        #"{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix"}}"#,
        #"{"type":"content_block_stop","index":1}"#,
        #"{"type":"content_block_start","index":2,"content_block":{"type":"text","text":""}}"#,
        #"{"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"The GCD is 21."}}"#,
        #"{"type":"content_block_stop","index":2}"#,
        #"{"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":120}}"#,
        #"{"type":"message_stop"}"#,
    ])

    @Test(arguments: [1, Int.max]) func thinkingStreamsAsReasoningAndSignature(chunkSize: Int) {
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: Self.thinkingStream, chunkSize: chunkSize)
        #expect(transcript.failure == nil)
        let reasoning = transcript.deltas.compactMap { $0["reasoning_content"]?.stringValue }.joined()
        #expect(reasoning == "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 × 462 + 147\n462 = 3 × 147 + 21")
        #expect(transcript.deltas.compactMap { $0["reasoning_signature"]?.stringValue } == ["EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"])
        #expect(transcript.streamedContent == "The GCD is 21.")
        #expect(transcript.finishReasons == ["length"])
        #expect(transcript.usage?["completion_tokens"] == 120)
    }

    @Test(arguments: [[0x0D, 0x0A], [0x0D]] as [[UInt8]]) func carriageReturnLineEndingsWorkToo(lineEnd: [UInt8]) {
        let stream = Self.textStream.flatMap { $0 == 0x0A ? lineEnd : [$0] }
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: stream, chunkSize: 1)
        #expect(transcript.failure == nil)
        #expect(transcript.streamedContent == "Hello, \"wörld\"\n")
    }

    @Test(arguments: [1, Int.max]) func errorEventMidStreamIsAnUpstreamFailureWithAnOpenAIError(chunkSize: Int) {
        let events = anthropicEvents([
            #"{"type":"message_start","message":{"id":"msg_3","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}"#,
            #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Once upon"}}"#,
            #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ])
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: events, chunkSize: chunkSize)
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.failure?.httpStatus == 502)
        #expect(transcript.failure?.retryable == false)
        #expect(transcript.errors == [["error": ["message": "Overloaded", "type": "overloaded_error", "param": nil, "code": "overloaded_error"]]])
        #expect(transcript.streamedContent == "Once upon")
        #expect(transcript.usage?["prompt_tokens"] == 9)
    }

    @Test func errorBeforeAnyContentMayBeRetriedElsewhere() {
        let events = anthropicEvents([#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#])
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: events)
        #expect(transcript.failure?.retryable == true)
        #expect(transcript.json.isEmpty)
    }

    @Test(arguments: [1, Int.max]) func streamCutBeforeMessageStopIs502(chunkSize: Int) {
        let cut = Array(Self.textStream.prefix(Self.textStream.count - 40))
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: cut, chunkSize: chunkSize)
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.failure?.httpStatus == 502)
        #expect(transcript.errors.first?["error"]?["message"]?.stringValue?.contains("message_stop") == true)
        #expect(transcript.usage?["completion_tokens"] == 15)
    }

    @Test func eventThatIsNotJSONIs502() {
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: Array("event: message_start\ndata: {oops\n\n".utf8))
        #expect(transcript.failure?.httpStatus == 502)
    }

    @Test(arguments: [1, Int.max]) func nativeStreamForwardsEachEventWithUsageMeta(chunkSize: Int) throws {
        let transcript = harness.respond(ProviderHarness.call(SY_OP_MESSAGES, stream: true), body: Self.parallelToolStream, chunkSize: chunkSize)
        #expect(transcript.failure == nil)
        #expect(transcript.json.count == 18)
        #expect(transcript.json.first?["type"] == "message_start")
        #expect(transcript.json[6] == ["type": "content_block_delta", "index": 1, "delta": ["type": "input_json_delta", "partial_json": #"{"location":"#]])
        #expect(transcript.json.last == ["type": "message_stop"])
        #expect(transcript.usage?["prompt_tokens"] == 472)
        #expect(transcript.usage?["completion_tokens"] == 89)
    }

    @Test func nativeStreamErrorKeepsAnthropicsShape() {
        let events = anthropicEvents([
            #"{"type":"message_start","message":{"id":"msg_4","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}"#,
            #"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
        ])
        let transcript = harness.respond(ProviderHarness.call(SY_OP_MESSAGES, stream: true), body: events, chunkSize: 2)
        #expect(transcript.json.count == 1)
        #expect(transcript.errors == [["type": "error", "error": ["type": "api_error", "message": "Internal server error"]]])
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.usage?["prompt_tokens"] == 3)

        let cut = harness.respond(ProviderHarness.call(SY_OP_MESSAGES, stream: true), body: Array(events.prefix(120)))
        #expect(cut.failure?.httpStatus == 502)
        #expect(cut.errors.first?["type"] == "error")
    }
}
