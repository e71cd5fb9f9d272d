import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// The `switchyard-mock` executable, driven through `UpstreamClient` the way the gateway drives
/// its upstreams: the OpenAI chat wire format, stream and non-stream, tools, `n`, and the knobs.
@Suite(.serialized) struct MockUpstreamTests {
    let mock: MockProcess
    let harness: ClientHarness

    init() throws {
        mock = try MockProcess()
        harness = try ClientHarness()
    }

    private func finish() {
        harness.shutdown()
        mock.stop()
    }

    private func chat(_ body: String, headers: [(String, String)] = [], path: String = "/v1/chat/completions") -> Recorder {
        let recorder = Recorder()
        let request = UpstreamRequest(method: "POST", url: mock.url(path), headers: [("Content-Type", "application/json")] + headers, body: Array(body.utf8))
        harness.start(request, recorder)
        #expect(recorder.wait())
        return recorder
    }

    private static let hello = #"{"model":"gpt-test","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hello there mock"}]"#

    @Test func nonStreamCompletionHasTheOpenAIShape() throws {
        defer { finish() }
        let recorder = chat(Self.hello + "}")
        #expect(recorder.status == 200)
        #expect(recorder.header("content-type") == "application/json")
        let object = try #require(recorder.json as? [String: Any])
        #expect((object["id"] as? String)?.hasPrefix("chatcmpl-mock-") == true)
        #expect(object["object"] as? String == "chat.completion")
        #expect(object["model"] as? String == "gpt-test")
        #expect(object["created"] is Int)
        let choice = try #require((object["choices"] as? [[String: Any]])?.first)
        let message = try #require(choice["message"] as? [String: Any])
        #expect(message["role"] as? String == "assistant")
        #expect(message["content"] as? String == "mock: hello there mock")
        #expect(choice["finish_reason"] as? String == "stop")
        let usage = try #require(object["usage"] as? [String: Int])
        #expect(usage["total_tokens"] == (usage["prompt_tokens"] ?? 0) + (usage["completion_tokens"] ?? 0))
        #expect(usage["completion_tokens"] == 4)
    }

    @Test func textPartsAndTheShortPathAreAccepted() throws {
        defer { finish() }
        let body = #"{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"part one"},{"type":"text","text":"part two"}]}]}"#
        let object = try #require(chat(body, path: "/chat/completions").json as? [String: Any])
        let message = (object["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
        #expect(message?["content"] as? String == "mock: part one part two")
    }

    @Test func streamSendsRoleWordsFinishUsageAndDone() throws {
        defer { finish() }
        let recorder = chat(Self.hello + #","stream":true,"stream_options":{"include_usage":true}}"#)
        #expect(recorder.header("content-type") == "text/event-stream")
        #expect(recorder.succeeded)
        #expect(recorder.events.last == "[DONE]")
        let events = recorder.eventObjects
        #expect(events.allSatisfy { $0["object"] as? String == "chat.completion.chunk" && $0["model"] as? String == "gpt-test" })
        let deltas = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any] }
        #expect(deltas.first?["role"] as? String == "assistant")
        #expect(deltas.first?["content"] as? String == "")
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == "mock: hello there mock")
        #expect(deltas.count == 1 + 4 + 1)  // role, one per word, finish
        let finish = (events[events.count - 2]["choices"] as? [[String: Any]])?.first
        #expect(finish?["finish_reason"] as? String == "stop")
        #expect((finish?["delta"] as? [String: Any])?.isEmpty == true)
        let usageChunk = try #require(events.last)
        #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
        #expect((usageChunk["usage"] as? [String: Int])?["completion_tokens"] == 4)
    }

    @Test func streamWithoutIncludeUsageHasNoUsageChunk() {
        defer { finish() }
        let events = chat(Self.hello + #","stream":true}"#).eventObjects
        #expect(events.allSatisfy { ($0["choices"] as? [Any])?.isEmpty == false })
    }

    private static let weather = #"{"model":"m","tools":[{"type":"function","function":{"name":"lookup_weather","parameters":{}}}],"messages":[{"role":"user","content":"What is the weather in Paris?"}]"#

    @Test func weatherWithToolsAnswersWithAToolCall() throws {
        defer { finish() }
        let object = try #require(chat(Self.weather + "}").json as? [String: Any])
        let choice = try #require((object["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "tool_calls")
        let call = try #require(((choice["message"] as? [String: Any])?["tool_calls"] as? [[String: Any]])?.first)
        #expect(call["type"] as? String == "function")
        #expect((call["id"] as? String)?.isEmpty == false)
        let function = call["function"] as? [String: Any]
        #expect(function?["name"] as? String == "lookup_weather")
        #expect(function?["arguments"] as? String == #"{"city":"Paris"}"#)
    }

    @Test func streamedToolCallComesInFragments() throws {
        defer { finish() }
        let events = chat(Self.weather + #","stream":true}"#).eventObjects
        let calls = events.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] }.map { $0[0] }
        #expect(calls.count >= 2)
        let first = try #require(calls.first)
        #expect(first["index"] as? Int == 0 && first["id"] is String && first["type"] as? String == "function")
        #expect((first["function"] as? [String: Any])?["name"] as? String == "lookup_weather")
        #expect((first["function"] as? [String: Any])?["arguments"] as? String == "")
        #expect(calls.dropFirst().allSatisfy { $0["id"] == nil })
        let arguments = calls.compactMap { ($0["function"] as? [String: Any])?["arguments"] as? String }.joined()
        #expect(arguments == #"{"city":"Paris"}"#)
        let finish = events.compactMap { ($0["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String }
        #expect(finish == ["tool_calls"])
    }

    @Test func toolCallKnobForcesACall() throws {
        defer { finish() }
        let object = try #require(chat(Self.hello + "}", headers: [("x-mock-tool-call", "1")]).json as? [String: Any])
        #expect((object["choices"] as? [[String: Any]])?.first?["finish_reason"] as? String == "tool_calls")
    }

    @Test func nGivesThatManyChoices() throws {
        defer { finish() }
        let object = try #require(chat(Self.hello + #","n":3,"response_format":{"type":"json_object"}}"#).json as? [String: Any])
        let choices = try #require(object["choices"] as? [[String: Any]])
        #expect(choices.compactMap { $0["index"] as? Int } == [0, 1, 2])
    }

    @Test func statusKnobGivesOpenAIErrors() throws {
        defer { finish() }
        let limited = chat(Self.hello + "}", headers: [("x-mock-status", "429")])
        #expect(limited.status == 429)
        #expect(limited.header("retry-after") == "1")
        let error = (limited.json as? [String: Any])?["error"] as? [String: Any]
        #expect(error?["type"] as? String == "rate_limit_error")
        #expect(error?["message"] is String)
        let broken = chat(Self.hello + "}", headers: [("x-mock-status", "500")])
        #expect(broken.status == 500)
        #expect(((broken.json as? [String: Any])?["error"] as? [String: Any])?["type"] as? String == "server_error")
        #expect(broken.header("retry-after") == nil)
    }

    @Test func malformedBodyIsA400() {
        defer { finish() }
        let recorder = chat("{not json")
        #expect(recorder.status == 400)
        #expect(((recorder.json as? [String: Any])?["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
    }

    @Test func delayKnobHoldsTheHead() {
        defer { finish() }
        let box = TransferBox()
        let recorder = Recorder()
        let request = UpstreamRequest(method: "POST", url: mock.url("/v1/chat/completions"), headers: [("x-mock-delay-ms", "250")], body: Array((Self.hello + "}").utf8))
        harness.start(request, recorder, into: box)
        #expect(recorder.wait())
        let toHead = harness.onLoop { _ in box.transfer?.timings.toHead } ?? nil
        #expect((toHead ?? 0) >= 240_000_000)
        #expect(recorder.status == 200)
    }

    @Test func chunkDelayPacesTheStream() {
        defer { finish() }
        let recorder = chat(Self.hello + #","stream":true}"#, headers: [("x-mock-chunk-delay-ms", "40"), ("x-mock-chunks", "5")])
        #expect(recorder.succeeded)
        #expect(recorder.chunks.count >= 5)
        // role, 5 content chunks, finish: 6 gaps of 40 ms after the first chunk; [DONE] follows
        // the finish chunk at once, as a real upstream sends it.
        let paced = recorder.completedAt - (recorder.chunks.first?.1 ?? 0)
        #expect(paced >= 230_000_000 && paced < 270_000_000)
    }

    @Test func chunksKnobStreamsFixedWords() {
        defer { finish() }
        let events = chat(Self.hello + #","stream":true}"#, headers: [("x-mock-chunks", "7")]).eventObjects
        let contents = events.compactMap { (($0["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any])?["content"] as? String }
        #expect(contents.filter { !$0.isEmpty }.count == 7)
    }

    @Test func cutKnobDropsTheConnectionWithoutDone() {
        defer { finish() }
        let recorder = chat(Self.hello + #","stream":true}"#, headers: [("x-mock-cut-after", "2")])
        #expect(!recorder.succeeded)
        #expect(recorder.failure?.kind == .closed)
        #expect(recorder.events.count == 2)
        #expect(!recorder.body.contains("[DONE]"))
    }

    @Test func modelsListAndJournal() throws {
        defer { finish() }
        let models = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: mock.url("/v1/models"), headers: [], body: []), models)
        #expect(models.wait())
        #expect((models.json as? [String: Any])?["object"] as? String == "list")
        _ = chat(Self.hello + "}", headers: [("Authorization", "Bearer sk-upstream"), ("X-Extra", "yes")])

        let journal = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: mock.url("/_mock/requests"), headers: [], body: []), journal)
        #expect(journal.wait())
        let entries = try #require(journal.json as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries[0]["path"] as? String == "/v1/models")
        let last = try #require(entries.last)
        #expect(last["path"] as? String == "/v1/chat/completions")
        #expect(last["method"] as? String == "POST")
        #expect(last["model"] as? String == "gpt-test")
        #expect(last["authorization"] as? String == "Bearer sk-upstream")
        #expect((last["headers"] as? [String: String])?["x-extra"] == "yes")
        #expect((last["body"] as? [String: Any])?["model"] as? String == "gpt-test")
        #expect(entries[0]["body"] is NSNull)
    }
}
