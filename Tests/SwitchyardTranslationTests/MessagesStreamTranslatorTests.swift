import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

@Suite struct MessagesStreamTranslatorTests {
    func run(_ chunks: [JSONValue], finish: Bool = true, model: String? = nil) -> (EventRecorder, MessagesStreamTranslator) {
        let recorder = EventRecorder()
        var translator = MessagesStreamTranslator(model: model)
        for chunk in chunks { translator.feed(chunk, recorder.record) }
        if finish { translator.finish(recorder.record) }
        return (recorder, translator)
    }

    @Test func reasoningTextAndParallelToolCallsProduceTheExactEventSequence() {
        let (recorder, translator) = run(Chunks.reasoningTextAndTwoToolCalls)
        #expect(translator.failure == nil)
        #expect(translator.isFinished)
        let expected: [(String, String)] = [
            ("message_start", #"{"type":"message_start","message":{"id":"msg_abc","type":"message","role":"assistant","model":"gpt-test","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}"#),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Need the "}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"weather."}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-1"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("content_block_start", #"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking "}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"both."}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":1}"#),
            ("content_block_start", #"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_1","name":"weather","input":{}}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":2}"#),
            ("content_block_start", #"{"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"call_2","name":"weather","input":{}}}"#),
            ("content_block_delta", #"{"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Rome\"}"}}"#),
            ("content_block_stop", #"{"type":"content_block_stop","index":3}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":60,"cache_creation_input_tokens":10,"cache_read_input_tokens":30,"output_tokens":40}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ]
        #expect(recorder.events.count == expected.count)
        for (event, (name, data)) in zip(recorder.events, expected) {
            #expect(event.name == name)
            #expect(event.data == json(data))
        }
    }

    /// What the anthropic SDKs' stream accumulators need: every delta and stop names the block
    /// that the latest start opened, starts count up from 0, and each block stops once.
    @Test func blockIndicesAreConsistentForTheSDKAccumulator() {
        let (recorder, _) = run(Chunks.reasoningTextAndTwoToolCalls)
        var open: Int?
        var nextIndex = 0
        for event in recorder.events {
            let index = event.data["index"]?.intValue
            switch event.name {
            case "content_block_start":
                #expect(open == nil)
                #expect(index == nextIndex)
                open = index
                nextIndex += 1
            case "content_block_delta":
                #expect(index != nil && index == open)
            case "content_block_stop":
                #expect(index != nil && index == open)
                open = nil
            default:
                #expect(index == nil)
            }
        }
        #expect(open == nil)
    }

    /// Rebuilds the message from the events the way the SDK accumulator does, and compares it
    /// with what the whole (non-stream) path returns for the same content.
    @Test func accumulatedStreamEqualsTheWholeMessage() throws {
        let (recorder, _) = run(Chunks.reasoningTextAndTwoToolCalls)
        var message = recorder.named("message_start")[0]["message"]?.objectValue ?? JSONObject()
        var blocks: [JSONObject] = []
        var partialJSON: [String] = []
        for event in recorder.events {
            switch event.name {
            case "content_block_start":
                blocks.append(event.data["content_block"]?.objectValue ?? JSONObject())
                partialJSON.append("")
            case "content_block_delta":
                let index = event.data["index"]?.intValue ?? 0
                let delta = event.data["delta"]
                switch delta?["type"]?.stringValue {
                case "text_delta": blocks[index]["text"] = .string((blocks[index]["text"]?.stringValue ?? "") + (delta?["text"]?.stringValue ?? ""))
                case "thinking_delta": blocks[index]["thinking"] = .string((blocks[index]["thinking"]?.stringValue ?? "") + (delta?["thinking"]?.stringValue ?? ""))
                case "signature_delta": blocks[index]["signature"] = delta?["signature"]
                case "input_json_delta": partialJSON[index] += delta?["partial_json"]?.stringValue ?? ""
                default: Issue.record("unexpected delta \(event)")
                }
            case "content_block_stop":
                let index = event.data["index"]?.intValue ?? 0
                if blocks[index]["type"] == "tool_use", !partialJSON[index].isEmpty { blocks[index]["input"] = try JSONValue.parse(partialJSON[index]) }
            case "message_delta":
                message["stop_reason"] = event.data["delta"]?["stop_reason"]
                message["stop_sequence"] = event.data["delta"]?["stop_sequence"]
                message["usage"] = event.data["usage"]
            default: break
            }
        }
        message["content"] = .array(blocks.map(JSONValue.object))
        #expect(JSONValue.object(message) == (try MessagesIngress.message(fromChatCompletion: Chunks.reasoningTextAndTwoToolCallsWhole)))
    }

    @Test func plainTextStreamWithLengthFinish() {
        let (recorder, _) = run([
            Chunks.delta(#"{"role":"assistant","content":"Hel"}"#), Chunks.delta(#"{"content":"lo"}"#),
            Chunks.finish("length"), Chunks.usage(prompt: 5, completion: 2),
        ], model: "claude-alias")
        #expect(recorder.names == [
            "message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop",
        ])
        #expect(recorder.events[0].data["message"]?["model"] == "claude-alias")
        #expect(recorder.named("message_delta")[0]["delta"]?["stop_reason"] == "max_tokens")
        #expect(recorder.named("message_delta")[0]["usage"]?["output_tokens"] == 2)
    }

    @Test func toolArgumentsInTheOpeningDeltaAreSentAtOnce() {
        let (recorder, _) = run([
            Chunks.delta(#"{"role":"assistant","tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}"#),
            Chunks.finish("tool_calls"),
        ])
        #expect(recorder.names == ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"])
        #expect(recorder.events[2].data["delta"] == json(#"{"type":"input_json_delta","partial_json":"{}"}"#))
    }

    @Test func midStreamErrorChunkBecomesAnErrorEvent() {
        let (recorder, translator) = run([
            Chunks.delta(#"{"role":"assistant","content":"Hi"}"#),
            json(#"{"error":{"message":"Overloaded","type":"overloaded_error","param":null,"code":null}}"#),
            Chunks.finish("stop"),
        ])
        #expect(recorder.names == ["message_start", "content_block_start", "content_block_delta", "error"])
        #expect(recorder.events.last?.data == json(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
        #expect(translator.isFinished)
    }

    @Test func hostReportedFailureUsesTheStatus() {
        let recorder = EventRecorder()
        var translator = MessagesStreamTranslator()
        translator.feed(Chunks.delta(#"{"role":"assistant","content":"Hi"}"#), recorder.record)
        translator.fail(status: 429, openAIError: json(#"{"error":{"message":"slow down","type":"requests"}}"#), recorder.record)
        translator.finish(recorder.record)
        #expect(recorder.names == ["message_start", "content_block_start", "content_block_delta", "error"])
        #expect(recorder.events.last?.data == json(#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#))
    }

    @Test func streamWithoutFinishReasonIsAnError() {
        let (recorder, translator) = run([Chunks.delta(#"{"role":"assistant","content":"Hi"}"#)])
        #expect(recorder.names.last == "error")
        #expect(translator.failure?.message == "provider stream ended without a finish_reason")
        #expect(recorder.events.last?.data["error"]?["type"] == "api_error")
    }

    @Test func toolCallIndexGoingBackIsAnError() {
        let (recorder, translator) = run([
            Chunks.delta(#"{"tool_calls":[{"index":0,"id":"a","type":"function","function":{"name":"f","arguments":""}}]}"#),
            Chunks.delta(#"{"tool_calls":[{"index":1,"id":"b","type":"function","function":{"name":"g","arguments":""}}]}"#),
            Chunks.delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}"#),
        ], finish: false)
        #expect(recorder.names.last == "error")
        #expect(translator.failure?.message == "provider sent tool call 0 after tool call 1 had started")
    }

    @Test func rawBytesAreAcceptedAndGarbageIsAnError() {
        let recorder = EventRecorder()
        var translator = MessagesStreamTranslator()
        Array(Chunks.delta(#"{"role":"assistant","content":"Hi"}"#).serialized()).withUnsafeBytes { translator.feed(bytes: $0, recorder.record) }
        Array("not json".utf8).withUnsafeBytes { translator.feed(bytes: $0, recorder.record) }
        #expect(recorder.names == ["message_start", "content_block_start", "content_block_delta", "error"])
    }
}
