import CSwitchyardPlugin
import Foundation
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardUpstream
import Testing

/// The Anthropic plugin's inline batch hooks (the built libProviderAnthropic.so, loaded with
/// dlopen, called through the host's wrappers) against the real mock's Message Batches over
/// loopback: the create body from the parts, the requests from `request`, the batch read with
/// `status` until it has ended, and every results line translated with `result`, as the
/// gateway's batch orchestration will do it.
@Suite struct MockMessageBatchesThroughPluginTests {
    static var call: CallDescription { CallDescription(operation: 0, stream: false, attempt: 0, requestID: "req-e2e", upstreamModel: "") }

    /// The mock and the plugin pointed at it (keyless: the mock never asks for a key).
    struct Setup {
        let session: MockSession
        let instance: PluginInstance
        let provider: ProviderPlugin

        init(_ mockArguments: [String]) throws {
            session = try MockSession(mockArguments)
            let path = Self.buildDirectory + "/libProviderAnthropic.so"
            let instance = try PluginLibrary.load(path: path).instantiate(
                name: "anthropic", configJSON: JSONValue.object(JSONObject([("base_url", .string(session.mock.url("/v1"))), ("api_key_env", nil)])).serialized())
            let table = try #require(instance.interface(SY_IFACE_PROVIDER))
            provider = try #require(ProviderPlugin(name: "anthropic", instance: instance.pluginInstance, table: table))
            self.instance = instance
        }

        /// Sends the request the plugin builds for `op`, with `body`; the answer, waited for.
        func send(_ op: UInt32, _ batchID: String = "", body: [UInt8] = []) throws -> Recorder {
            let draft = try #require(provider.batchRequest(MockMessageBatchesThroughPluginTests.call, op: op, batchID: batchID)).get()
            let recorder = Recorder()
            session.harness.start(UpstreamRequest(method: draft.method, url: draft.url, headers: draft.headers.map { ($0.name, $0.value) }, body: body), recorder)
            #expect(recorder.wait())
            #expect(recorder.status == 200, "\(draft.method) \(draft.url): \(recorder.body)")
            return recorder
        }

        /// The OpenAI batch object the plugin makes of an answer.
        func status(_ answer: Recorder) throws -> JSONValue {
            try JSONValue.parse(Array(answer.body.utf8).withUnsafeBytes { provider.batchStatus(MockMessageBatchesThroughPluginTests.call, upstreamObject: $0) }.get())
        }

        func createBody(_ lines: [String]) throws -> [UInt8] {
            func part(_ kind: UInt32, _ index: Int, _ line: String) throws -> [UInt8] {
                try Array(line.utf8).withUnsafeBytes { provider.batchCreatePart(MockMessageBatchesThroughPluginTests.call, part: kind, index: index, line: $0) }.get()
            }
            var body = try part(SY_BATCH_PART_OPEN, 0, "")
            for (index, line) in lines.enumerated() { body += try part(SY_BATCH_PART_ITEM, index, line) }
            return body + (try part(SY_BATCH_PART_CLOSE, lines.count, ""))
        }

        /// Polls GET through `status` until `done` holds for the OpenAI object (bounded).
        func poll(_ id: String, until done: (JSONValue) -> Bool) throws -> JSONValue {
            let deadline = Date().addingTimeInterval(15)
            while true {
                let object = try status(try send(SY_BATCH_GET, id))
                if done(object) || Date() > deadline { return object }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }

        /// Every line of RESULTS translated with `result`.
        func results(_ id: String) throws -> [JSONValue] {
            let answer = try send(SY_BATCH_RESULTS, id)
            return try answer.body.split(separator: "\n").map { line in
                try JSONValue.parse(Array(line.utf8).withUnsafeBytes { provider.batchResult(MockMessageBatchesThroughPluginTests.call, line: $0) }.get())
            }
        }

        func finish() { session.finish() }

        static let buildDirectory: String = {
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
            return (exe as NSString).deletingLastPathComponent
        }()
    }

    static func line(_ id: String, model: String = "claude-haiku-4-5", _ messages: String, extra: String = "") -> String {
        #"{"custom_id":"\#(id)","method":"POST","url":"/v1/chat/completions","body":{"model":"\#(model)","messages":\#(messages)\#(extra)}}"#
    }

    static let lines = [
        line("weather", #"[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Paris?"}]"#,
             extra: #","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"max_tokens":64"#),
        line("hello", #"[{"role":"user","content":"Say hello"}]"#, extra: #","temperature":0.3"#),
        line("broken", model: "mock-fail", #"[{"role":"user","content":"boom"}]"#),
    ]

    @Test func aBatchRunsToCompletionAndEveryResultIsAnOpenAIOutputLine() throws {
        let setup = try Setup(["--batch-delay-ms", "300"])
        defer { setup.finish() }
        let created = try setup.status(try setup.send(SY_BATCH_CREATE, body: try setup.createBody(Self.lines)))
        #expect(created["object"] == "batch" && created["status"] == "in_progress")
        #expect(created["request_counts"] == ["total": 3, "completed": 0, "failed": 0])
        let id = try #require(created["id"]?.stringValue)
        #expect(id.hasPrefix("msgbatch_"))
        #expect((created["created_at"]?.intValue ?? 0) > 1_700_000_000 && created["in_progress_at"] == created["created_at"])
        #expect(created["expires_at"]?.intValue == created["created_at"]?.intValue.map { $0 + 86_400 })

        let done = try setup.poll(id) { $0["status"] != "in_progress" }
        #expect(done["status"] == "completed")
        #expect(done["request_counts"] == ["total": 3, "completed": 2, "failed": 1])
        #expect((done["completed_at"]?.intValue ?? 0) >= (created["created_at"]?.intValue ?? .max))

        let results = try setup.results(id)
        #expect(results.map(\.["custom_id"]) == ["weather", "hello", "broken"])
        for result in results {
            #expect(result.objectValue?.keys.sorted() == ["custom_id", "error", "id", "response"])
            #expect(result["id"] == .string("batch_req_" + (result["custom_id"]?.stringValue ?? "")))
            #expect(result["error"] == .null)
        }
        for succeeded in results.prefix(2) {
            let response = try #require(succeeded["response"])
            #expect(response["status_code"] == 200)
            #expect(response["request_id"]?.stringValue?.isEmpty == false)
            #expect(response["body"]?["object"] == "chat.completion")
            #expect(response["body"]?["id"] == response["request_id"])
            #expect(response["body"]?["choices"]?[0]?["message"]?["role"] == "assistant")
            #expect(response["body"]?["choices"]?[0]?["finish_reason"]?.stringValue != nil)
            #expect((response["body"]?["usage"]?["prompt_tokens"]?.intValue ?? -1) >= 0)
        }
        let failed = try #require(results.last?["response"])
        #expect(failed["status_code"] == 500)
        #expect(failed["request_id"]?.stringValue?.hasPrefix("req_mock_") == true)
        #expect(failed["body"]?["error"]?["type"] == "api_error")
    }

    @Test func aCancelledBatchEndsCancelledWithEveryLineBatchCancelled() throws {
        let setup = try Setup(["--batch-delay-ms", "400"])
        defer { setup.finish() }
        let created = try setup.status(try setup.send(SY_BATCH_CREATE, body: try setup.createBody(Self.lines)))
        let id = try #require(created["id"]?.stringValue)
        let cancelling = try setup.status(try setup.send(SY_BATCH_CANCEL, id))
        #expect(cancelling["status"] == "cancelling")
        #expect((cancelling["cancelling_at"]?.intValue ?? 0) >= (created["created_at"]?.intValue ?? .max))
        let done = try setup.poll(id) { $0["status"] != "cancelling" }
        #expect(done["status"] == "cancelled")
        #expect(done["cancelled_at"]?.intValue != nil && done["completed_at"] == .null)
        #expect(done["request_counts"] == ["total": 3, "completed": 0, "failed": 3])
        let results = try setup.results(id)
        #expect(results.count == 3)
        for result in results {
            #expect(result["response"] == .null)
            #expect(result["error"]?["code"] == "batch_cancelled")
        }
    }

    @Test func aBodyTheMockRefusesNeverComesFromTheParts() throws {
        // The parts of an empty file are `{"requests":[]}`: Anthropic (and the mock) refuse an
        // empty batch, which is why the host never creates one.
        let setup = try Setup([])
        defer { setup.finish() }
        let body = try setup.createBody([])
        #expect(String(decoding: body, as: UTF8.self) == #"{"requests":[]}"#)
        let draft = try #require(setup.provider.batchRequest(Self.call, op: SY_BATCH_CREATE, batchID: "")).get()
        let recorder = Recorder()
        setup.session.harness.start(UpstreamRequest(method: draft.method, url: draft.url, headers: draft.headers.map { ($0.name, $0.value) }, body: body), recorder)
        #expect(recorder.wait())
        #expect(recorder.status == 400 && recorder.body.contains("at least 1 item"))
    }
}
