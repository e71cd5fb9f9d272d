import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// The Anthropic plugin's batch requests and create body (`request`, `create_part`) through the
/// built .so: the Message Batches URLs and headers, and a body whose params are exactly what the
/// plugin's chat translation sends for the same canonical request.
@Suite struct AnthropicBatchRequestTests {
    let harness: ProviderHarness

    init() throws {
        harness = try ProviderHarness.anthropic([("anthropic_version", "2023-06-01"), ("beta", ["b1"]), ("headers", ["X-Extra": "e"])])
    }

    @Test func theTableIsThereAndTheManifestListsBatches() throws {
        #expect(harness.provider.takesInlineBatches)
        let operations = harness.instance.library.manifest["operations"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(operations.contains("batches"))
    }

    @Test(arguments: [
        (SY_BATCH_CREATE, "", "POST", "http://127.0.0.1:9/v1/messages/batches"),
        (SY_BATCH_GET, "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", "GET", "http://127.0.0.1:9/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d"),
        (SY_BATCH_CANCEL, "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", "POST", "http://127.0.0.1:9/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/cancel"),
        (SY_BATCH_RESULTS, "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", "GET", "http://127.0.0.1:9/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/results"),
    ])
    func eachOperationHasItsMethodURLAndTheMessagesHeaders(_ op: UInt32, _ id: String, _ method: String, _ url: String) throws {
        let request = try harness.batchRequest(op, id)
        #expect(request.method == method)
        #expect(request.url == url)
        #expect(request.body.isEmpty)
        #expect(request.header("anthropic-version") == "2023-06-01")
        #expect(request.header("anthropic-beta") == "b1")
        #expect(request.header("X-Extra") == "e")
        #expect(request.header("content-type") == (op == SY_BATCH_CREATE ? "application/json" : nil))
    }

    @Test func theKeyIsSentAsXAPIKey() throws {
        precondition(PassthroughKeys.ready)
        let keyed = try ProviderHarness.anthropic([("api_key_env", "SWITCHYARD_TEST_PT_ANTHROPIC")])
        #expect(try keyed.batchRequest(SY_BATCH_GET, "msgbatch_1").header("x-api-key") == "sk-ant-provider")
        #expect(try keyed.batchRequest(SY_BATCH_CREATE).header("x-api-key") == "sk-ant-provider")
    }

    @Test(arguments: ["", "msgbatch_1/../../v1/models", "a b", "msgbatch_1?x=1"])
    func aBatchIDThatWouldChangeTheURLIsRefused(_ id: String) throws {
        let result = try #require(harness.provider.batchRequest(ProviderHarness.batchCall, op: SY_BATCH_GET, batchID: id))
        guard case .failure(let failure) = result else { Issue.record("\(id) accepted"); return }
        #expect(failure.status == SY_E_INVALID && failure.message.contains("is not an Anthropic message batch id"))
    }

    @Test func anUnknownOperationIsRefused() throws {
        let result = try #require(harness.provider.batchRequest(ProviderHarness.batchCall, op: 99, batchID: "msgbatch_1"))
        guard case .failure(let failure) = result else { Issue.record("operation 99 accepted"); return }
        #expect(failure.status == SY_E_UNSUPPORTED && failure.message.contains("99"))
    }

    static let withSystemAndTools = ProviderHarness.chat([
        ["role": "system", "content": "You are a terse weather assistant."],
        ["role": "user", "content": "Weather in Paris?"],
    ], fields: [
        ("tools", [["type": "function", "function": [
            "name": "get_weather", "description": "Current weather for a city",
            "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
        ]]]),
        ("tool_choice", "required"), ("max_tokens", 300),
    ])
    static let sampled = ProviderHarness.chat([["role": "user", "content": "Say hi"]], fields: [("temperature", .number("0.2")), ("stop", ["END"]), ("user", "u-7")])
    static let streamed = ProviderHarness.chat([["role": "user", "content": "Count to three"]], fields: [("stream", true), ("max_completion_tokens", 50)])

    @Test func aThreeLineFileBecomesOneCreateBodyWithTheChatTranslationsParams() throws {
        let bodies = [Self.withSystemAndTools, Self.sampled, Self.streamed]
        let lines = bodies.enumerated().map { batchInputLine("req-\($0.offset + 1)", $0.element) }
        let created = try JSONValue.parse(harness.createBody(lines))
        let requests = try #require(created["requests"]?.arrayValue)
        #expect(created.objectValue?.count == 1 && requests.count == 3)
        for (index, body) in bodies.enumerated() {
            #expect(requests[index]["custom_id"] == .string("req-\(index + 1)"))
            #expect(requests[index].objectValue?.count == 2)
            // The very body `prepare` sends for the same request, as a whole answer (no stream).
            #expect(requests[index]["params"] == (try harness.anthropicBody(body)))
        }
        let first = try #require(requests[0]["params"])
        #expect(first["model"] == "claude-sonnet-4-5")
        #expect(first["max_tokens"] == 300)
        #expect(first["system"] == [["type": "text", "text": "You are a terse weather assistant."]])
        #expect(first["messages"] == [["role": "user", "content": [["type": "text", "text": "Weather in Paris?"]]]])
        #expect(first["tools"]?[0]?["name"] == "get_weather")
        #expect(first["tools"]?[0]?["input_schema"]?["required"] == ["city"])
        #expect(first["tool_choice"]?["type"] == "any")
        #expect(requests[1]["params"]?["temperature"] == .number("0.2"))
        #expect(requests[1]["params"]?["stop_sequences"] == ["END"])
        #expect(requests[2]["params"]?["stream"] == nil)
        #expect(requests[2]["params"]?["max_tokens"] == 50)
    }

    @Test func thePartsAreTheOpeningEachItemWithItsCommaAndTheClosing() throws {
        let line = batchInputLine("only", Self.sampled)
        #expect(try harness.createPart(SY_BATCH_PART_OPEN).get() == #"{"requests":["#)
        let first = try harness.createPart(SY_BATCH_PART_ITEM, index: 0, line).get()
        let later = try harness.createPart(SY_BATCH_PART_ITEM, index: 7, line).get()
        #expect(first.hasPrefix(#"{"custom_id":"only","params":{"#))
        #expect(later == "," + first)
        #expect(try harness.createPart(SY_BATCH_PART_CLOSE, index: 1).get() == "]}")
        guard case .failure(let failure) = harness.createPart(9) else { Issue.record("part 9 accepted"); return }
        #expect(failure.status == SY_E_UNSUPPORTED)
    }

    @Test func aLineForAnotherEndpointIsRefusedNamingIt() throws {
        let failure = try #require(harness.refusedItem(batchInputLine("e1", ["model": "m", "input": "hi"], url: "/v1/embeddings")))
        #expect(failure.message.contains("\"/v1/embeddings\"") && failure.message.contains("/v1/chat/completions"))
        #expect(failure.httpStatus == 400)
    }

    @Test(arguments: ["", "has space", "dots.are.not.allowed", String(repeating: "x", count: 65), "ünïcode"])
    func aCustomIDAnthropicRefusesIsRefusedSayingWhy(_ id: String) throws {
        let failure = try #require(harness.refusedItem(batchInputLine(id, Self.sampled)))
        #expect(failure.status == SY_E_INVALID)
        #expect(failure.message.contains("^[a-zA-Z0-9_-]{1,64}$"), "\(failure.message)")
    }

    @Test func theLongestAndOddestCustomIDsAnthropicTakesPass() throws {
        for id in [String(repeating: "z", count: 64), "A-_9", "-"] {
            #expect(throws: Never.self) { try harness.createPart(SY_BATCH_PART_ITEM, batchInputLine(id, Self.sampled)).get() }
        }
    }

    @Test func aBodyTheChatTranslationRefusesIsRefusedWithItsMessage() throws {
        let body = ProviderHarness.chat(fields: [("n", 2)])
        let direct = try #require(harness.refusal(body))
        let failure = try #require(harness.refusedItem(batchInputLine("n2", body)))
        #expect(failure.message == direct.message)
        #expect(failure.status == direct.status)
        #expect(failure.message.contains("n=2"))
    }

    @Test(arguments: [
        ("not json", "not valid JSON"),
        ("[1]", "not a JSON object"),
        (#"{"custom_id":7,"url":"/v1/chat/completions","body":{}}"#, "custom_id must be a string"),
        (#"{"custom_id":"a","method":"GET","url":"/v1/chat/completions","body":{}}"#, "method must be POST"),
        (#"{"custom_id":"a","method":"POST","body":{}}"#, "url must be a string"),
        (#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions"}"#, "body is missing"),
        (#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}"#, "model must be a string"),
    ])
    func aMalformedLineIsRefusedSayingWhat(_ line: String, _ why: String) throws {
        let failure = try #require(harness.refusedItem(line))
        #expect(failure.message.contains(why), "\(failure.message)")
    }
}
