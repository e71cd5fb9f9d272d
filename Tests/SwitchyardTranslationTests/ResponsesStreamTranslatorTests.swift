import SwitchyardJSON
import Testing
@testable import SwitchyardTranslation

@Suite struct ResponsesStreamTranslatorTests {
    let request: ResponsesTranslation = {
        let body = json(#"{"model":"gpt-x","input":"Weather?","stream":true,"tools":[{"type":"function","name":"weather","parameters":{"type":"object"}}]}"#)
        return (try? ResponsesIngress.translate(body, prior: nil))!
    }()

    func run(_ chunks: [JSONValue], finish: Bool = true) -> (EventRecorder, ResponsesStreamTranslator) {
        let recorder = EventRecorder()
        var translator = ResponsesStreamTranslator(request: request)
        for chunk in chunks { translator.feed(chunk, recorder.record) }
        if finish { translator.finish(recorder.record) }
        return (recorder, translator)
    }

    @Test func reasoningTextAndParallelToolCallsProduceTheExactEventSequence() {
        let (recorder, translator) = run(Chunks.reasoningTextAndTwoToolCalls)
        #expect(translator.failure == nil)
        #expect(recorder.names == [
            "response.created", "response.in_progress",
            "response.output_item.added", "response.reasoning_summary_part.added",
            "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
            "response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
            "response.output_item.added", "response.content_part.added",
            "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.output_item.added", "response.function_call_arguments.delta",
            "response.function_call_arguments.done", "response.output_item.done",
            "response.completed",
        ])
        let events = recorder.events.map(\.data)
        #expect(events[2] == json(#"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"rs_abc_0","type":"reasoning","summary":[]}}"#))
        #expect(events[3] == json(#"{"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_abc_0","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}"#))
        #expect(events[4] == json(#"{"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_abc_0","output_index":0,"summary_index":0,"delta":"Need the "}"#))
        #expect(events[6] == json(#"{"type":"response.reasoning_summary_text.done","sequence_number":6,"item_id":"rs_abc_0","output_index":0,"summary_index":0,"text":"Need the weather."}"#))
        #expect(events[8]["item"] == json(#"{"id":"rs_abc_0","type":"reasoning","summary":[{"type":"summary_text","text":"Need the weather."}],"encrypted_content":"sig-1"}"#))
        #expect(events[9] == json(#"{"type":"response.output_item.added","sequence_number":9,"output_index":1,"item":{"id":"msg_abc_1","type":"message","status":"in_progress","role":"assistant","content":[]}}"#))
        #expect(events[10] == json(#"{"type":"response.content_part.added","sequence_number":10,"item_id":"msg_abc_1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""}}"#))
        #expect(events[11] == json(#"{"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_abc_1","output_index":1,"content_index":0,"delta":"Checking ","logprobs":[]}"#))
        #expect(events[13] == json(#"{"type":"response.output_text.done","sequence_number":13,"item_id":"msg_abc_1","output_index":1,"content_index":0,"text":"Checking both.","logprobs":[]}"#))
        #expect(events[16] == json(#"{"type":"response.output_item.added","sequence_number":16,"output_index":2,"item":{"id":"fc_abc_2","type":"function_call","status":"in_progress","arguments":"","call_id":"call_1","name":"weather"}}"#))
        #expect(events[17] == json(#"{"type":"response.function_call_arguments.delta","sequence_number":17,"item_id":"fc_abc_2","output_index":2,"delta":"{\"city\":"}"#))
        #expect(events[19] == json(#"{"type":"response.function_call_arguments.done","sequence_number":19,"item_id":"fc_abc_2","output_index":2,"name":"weather","arguments":"{\"city\":\"Paris\"}"}"#))
        #expect(events[1]["response"]?["status"] == "in_progress")
        #expect(events[1]["response"]?["output"] == [])
        #expect(events[1]["response"]?["usage"] == .null)
    }

    @Test func sequenceNumbersCountEveryEventFromZero() {
        let (recorder, _) = run(Chunks.reasoningTextAndTwoToolCalls)
        #expect(recorder.events.map { $0.data["sequence_number"]?.intValue } == Array(0..<recorder.events.count))
        for event in recorder.events { #expect(event.data["type"] == .string(event.name)) }
    }

    /// What the openai SDKs' Responses stream helpers check: every event names an item that
    /// was added at that output_index with that id, content_index names an added part, and
    /// items and parts are done before the next opens.
    @Test func indicesAndItemIDsAreConsistentForTheSDKStreamHelper() {
        let (recorder, _) = run(Chunks.reasoningTextAndTwoToolCalls)
        var itemIDs: [String] = []
        var openItem: Int?
        var openPart: Int?
        var partCount = 0
        for event in recorder.events {
            let data = event.data
            let outputIndex = data["output_index"]?.intValue
            switch event.name {
            case "response.output_item.added":
                #expect(openItem == nil)
                #expect(outputIndex == itemIDs.count)
                itemIDs.append(data["item"]?["id"]?.stringValue ?? "")
                openItem = outputIndex
                partCount = 0
            case "response.output_item.done":
                #expect(outputIndex == openItem && openPart == nil)
                #expect(data["item"]?["id"]?.stringValue == itemIDs.last)
                openItem = nil
            case "response.content_part.added":
                #expect(data["content_index"]?.intValue == partCount)
                openPart = partCount
                partCount += 1
            case "response.content_part.done":
                #expect(data["content_index"]?.intValue == openPart)
                openPart = nil
            case "response.output_text.delta", "response.output_text.done":
                #expect(data["content_index"]?.intValue == openPart)
            default:
                break
            }
            if let outputIndex, !event.name.hasPrefix("response.output_item.") {
                #expect(outputIndex == openItem)
                if let itemID = data["item_id"]?.stringValue { #expect(itemID == itemIDs[outputIndex]) }
            }
        }
    }

    @Test func finalResponseEqualsTheWholePath() throws {
        let (recorder, translator) = run(Chunks.reasoningTextAndTwoToolCalls)
        let whole = try ResponsesIngress.response(fromChatCompletion: Chunks.reasoningTextAndTwoToolCallsWhole, for: request)
        #expect(translator.response == whole)
        #expect(recorder.events.last?.data["response"] == whole)
    }

    @Test func lengthFinishEndsWithResponseIncompleteEqualToTheWholePath() throws {
        let (recorder, translator) = run([
            Chunks.delta(#"{"role":"assistant","content":"Hal"}"#), Chunks.finish("length"), Chunks.usage(prompt: 3, completion: 1),
        ])
        #expect(recorder.names.last == "response.incomplete")
        let whole = try ResponsesIngress.response(fromChatCompletion: json(#"""
        {"id":"chatcmpl-abc","created":1700000000,"model":"gpt-test","choices":[{"message":{"role":"assistant","content":"Hal"},"finish_reason":"length"}],
         "usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}
        """#), for: request)
        #expect(translator.response == whole)
        #expect(whole["output"]?[0]?["status"] == "incomplete")
    }

    @Test func refusalStreamsAsARefusalPart() throws {
        let (recorder, translator) = run([Chunks.delta(#"{"role":"assistant","refusal":"I can't."}"#), Chunks.finish("stop")])
        #expect(recorder.names.contains("response.refusal.delta"))
        #expect(recorder.named("response.refusal.done").first?["refusal"] == "I can't.")
        #expect(translator.response?["output"]?[0]?["content"] == json(#"[{"type":"refusal","refusal":"I can't."}]"#))
    }

    @Test func midStreamErrorSendsErrorThenResponseFailed() {
        let (recorder, translator) = run([
            Chunks.delta(#"{"role":"assistant","content":"Hi"}"#),
            json(#"{"error":{"message":"upstream broke","type":"server_error","param":null,"code":null}}"#),
        ])
        #expect(recorder.names.suffix(2) == ["error", "response.failed"])
        #expect(recorder.named("error")[0] == json(#"{"type":"error","sequence_number":5,"code":"server_error","message":"upstream broke","param":null}"#))
        #expect(translator.response?["status"] == "failed")
        #expect(translator.response?["error"] == json(#"{"code":"server_error","message":"upstream broke"}"#))
        #expect(translator.isFinished)
    }

    @Test func hostReportedRateLimitBeforeAnyChunkIsOnlyAnErrorEvent() {
        let recorder = EventRecorder()
        var translator = ResponsesStreamTranslator(request: request)
        translator.fail(status: 429, openAIError: json(#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#), recorder.record)
        #expect(recorder.events.map(\.data) == [json(#"{"type":"error","sequence_number":0,"code":"rate_limit_exceeded","message":"slow down","param":null}"#)])
        #expect(translator.response == nil)
    }

    @Test func streamWithoutFinishReasonFails() {
        let (recorder, translator) = run([Chunks.delta(#"{"role":"assistant","content":"Hi"}"#)])
        #expect(recorder.names.suffix(2) == ["error", "response.failed"])
        #expect(translator.failure?.message == "provider stream ended without a finish_reason")
    }

    @Test func toolCallOnlyStreamFromBytesEqualsTheWholePath() throws {
        let recorder = EventRecorder()
        var translator = ResponsesStreamTranslator(request: request)
        let chunks = [
            Chunks.delta(#"{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}"#),
            Chunks.delta(#"{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}"#),
            Chunks.finish("tool_calls"), Chunks.usage(prompt: 9, completion: 4),
        ]
        for chunk in chunks { chunk.serialized().withUnsafeBytes { translator.feed(bytes: $0, recorder.record) } }
        translator.finish(recorder.record)
        let whole = try ResponsesIngress.response(fromChatCompletion: json(#"""
        {"id":"chatcmpl-abc","created":1700000000,"model":"gpt-test","choices":[{"message":{"role":"assistant","content":null,"reasoning_content":"",
         "tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],
         "usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}
        """#), for: request)
        #expect(translator.response == whole)
        #expect(whole["output"]?.arrayValue?.count == 1)
        #expect(recorder.names.last == "response.completed")
    }
}
