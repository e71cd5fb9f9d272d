import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// streamGenerateContent?alt=sse → chat.completion.chunk objects, at any chunking.
@Suite struct GeminiProviderStreamTests {
    let harness: ProviderHarness
    let call = ProviderHarness.call(stream: true, model: "gemini-2.5-flash")

    init() throws { harness = try GeminiFixtures.harness() }

    /// Gemini frames events with CRLF line ends and a blank CRLF line.
    static func sse(_ events: [String]) -> String { events.map { "data: " + $0 + "\r\n\r\n" }.joined() }

    static let textStream = sse([
        #"{"candidates": [{"content": {"parts": [{"text": "Thinking about greetings.", "thought": true}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 4},"modelVersion": "gemini-2.5-flash","responseId": "tTCwacuEBMvnitYP06qsgQY"}"#,
        #"{"candidates": [{"content": {"parts": [{"text": "Hello!"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 4},"modelVersion": "gemini-2.5-flash","responseId": "tTCwacuEBMvnitYP06qsgQY"}"#,
        #"{"candidates": [{"content": {"parts": [{"text": " How can I help you today?"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 4,"totalTokenCount": 4},"modelVersion": "gemini-2.5-flash","responseId": "tTCwacuEBMvnitYP06qsgQY"}"#,
        #"{"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": "AY89a18iOcFus5wr"}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 4,"candidatesTokenCount": 9,"totalTokenCount": 33,"thoughtsTokenCount": 20},"modelVersion": "gemini-2.5-flash","responseId": "tTCwacuEBMvnitYP06qsgQY"}"#,
    ])

    @Test(arguments: [1, 7, Int.max])
    func textStreamBecomesDeltasThenAFinishChunk(chunkSize: Int) throws {
        let transcript = harness.respond(call, text: Self.textStream, chunkSize: chunkSize)
        #expect(transcript.failure == nil)
        let deltas = transcript.json.compactMap { $0["choices"]?[0]?["delta"] }
        #expect(deltas == [
            ["role": "assistant", "reasoning_content": "Thinking about greetings."],
            ["content": "Hello!"],
            ["content": " How can I help you today?"],
            ["content": "", "reasoning_signature": "AY89a18iOcFus5wr"],
            [:],
        ])
        #expect(transcript.json.last?["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
        #expect(transcript.json.allSatisfy { $0["object"]?.stringValue == "chat.completion.chunk" && $0["id"]?.stringValue == "chatcmpl-tTCwacuEBMvnitYP06qsgQY" })
        #expect(transcript.usage == [
            "prompt_tokens": 4, "completion_tokens": 29, "total_tokens": 33,
            "prompt_tokens_details": ["cached_tokens": 0], "completion_tokens_details": ["reasoning_tokens": 20],
        ])
    }

    @Test func usageChunkOnlyWhenTheClientAskedForIt() throws {
        let without = harness.respond(call, text: Self.textStream)
        #expect(without.json.allSatisfy { $0["usage"] == nil })

        let asked = GeminiFixtures.chat(GeminiFixtures.hello, [("stream", true), ("stream_options", ["include_usage": true])])
        _ = try harness.prepare(asked, call).get()
        var askingCall = call
        askingCall.request = asked.serialized()
        let with = harness.respond(askingCall, text: Self.textStream, chunkSize: 1)
        let last = try #require(with.json.last)
        #expect(last["choices"] == [])
        #expect(last["usage"]?["total_tokens"]?.intValue == 33)
        #expect(with.json.dropLast().last?["choices"]?[0]?["finish_reason"]?.stringValue == "stop")
        #expect(with.usage?["total_tokens"]?.intValue == 33)
    }

    static let toolStream = sse([
        #"{"candidates": [{"content": {"parts": [{"text": "Checking both cities."}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash"}"#,
        #"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris"}},"thoughtSignature": "CiQBDDnW"},{"functionCall": {"name": "get_weather","args": {"city": "Rome"}}}],"role": "model"},"index": 0}],"modelVersion": "gemini-2.5-flash"}"#,
        #"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_time","args": {"zone": "CET"},"id": "gp737npz"}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 44,"candidatesTokenCount": 15,"totalTokenCount": 59},"modelVersion": "gemini-2.5-flash"}"#,
    ])

    @Test(arguments: [1, Int.max])
    func functionCallsArriveWholeAsIndexedToolCallDeltas(chunkSize: Int) throws {
        let transcript = harness.respond(call, text: Self.toolStream, chunkSize: chunkSize)
        #expect(transcript.failure == nil)
        let calls = transcript.json.compactMap { $0["choices"]?[0]?["delta"]?["tool_calls"]?.arrayValue }.flatMap { $0 }
        #expect(calls == [
            ["index": 0, "id": "call_0", "type": "function", "function": ["name": "get_weather", "arguments": #"{"city":"Paris"}"#]],
            ["index": 1, "id": "call_1", "type": "function", "function": ["name": "get_weather", "arguments": #"{"city":"Rome"}"#]],
            ["index": 2, "id": "gp737npz", "type": "function", "function": ["name": "get_time", "arguments": #"{"zone":"CET"}"#]],
        ])
        #expect(transcript.json.first?["choices"]?[0]?["delta"] == ["role": "assistant", "content": "Checking both cities."])
        #expect(transcript.json.last?["choices"]?[0]?["finish_reason"]?.stringValue == "tool_calls")
        #expect(transcript.usage?["total_tokens"]?.intValue == 59)
    }

    @Test func eachCandidateIsItsOwnChoice() {
        let stream = Self.sse([
            #"{"candidates":[{"content":{"parts":[{"text":"A"}],"role":"model"},"index":0},{"content":{"parts":[{"text":"B"}],"role":"model"},"index":1}]}"#,
            #"{"candidates":[{"content":{"parts":[{"text":"."}],"role":"model"},"finishReason":"STOP","index":0},{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"MAX_TOKENS","index":1}]}"#,
        ])
        let transcript = harness.respond(call, text: stream, chunkSize: 3)
        #expect(transcript.failure == nil)
        let choices = transcript.json.compactMap { $0["choices"]?[0] }
        #expect(choices.filter { $0["delta"]?["role"] != nil }.map { $0["index"]?.intValue } == [0, 1])
        #expect(choices.compactMap { $0["finish_reason"]?.stringValue } == ["stop", "length"])
    }

    @Test(arguments: [1, Int.max])
    func streamWithoutAFinishReasonIsA502(chunkSize: Int) {
        let cut = Self.sse([#"{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}]}"#])
        let transcript = harness.respond(call, text: cut, chunkSize: chunkSize)
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.failure?.httpStatus == 502)
        #expect(transcript.json.count == 1)
    }

    @Test func eventCutBeforeItsBlankLineIsA502() {
        let full = Self.textStream
        let cut = String(full.dropLast(4))  // the last event's CRLF CRLF never arrived
        let transcript = harness.respond(call, text: cut, chunkSize: 5)
        #expect(transcript.failure?.httpStatus == 502)
    }

    @Test func errorEventMidStreamFailsWithTheMessage() {
        let stream = Self.sse([
            #"{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}]}"#,
            #"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        ])
        let transcript = harness.respond(call, text: stream, chunkSize: 1)
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.failure?.httpStatus == 502)
        #expect(transcript.failure?.retryable == true)
        #expect(transcript.errors.first?["error"]?["message"]?.stringValue == "The model is overloaded. Please try again later.")
    }

    @Test func blockedPromptInAStreamIsA400() {
        let stream = Self.sse([#"{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":6,"totalTokenCount":6}}"#])
        let transcript = harness.respond(call, text: stream)
        #expect(transcript.failure?.httpStatus == 400)
        #expect(transcript.failure?.message.contains("PROHIBITED_CONTENT") == true)
    }
}
