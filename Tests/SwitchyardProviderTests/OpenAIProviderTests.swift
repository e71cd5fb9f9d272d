import Glibc
import CSwitchyardPlugin
import SwitchyardJSON
import Testing

/// The openai provider through its ABI: the request it builds and what it makes of upstream bytes.
@Suite struct OpenAIProviderTests {
    let harness: ProviderHarness

    init() throws {
        harness = try ProviderHarness(product: "ProviderOpenAI", config: ["base_url": "http://127.0.0.1:9/v1", "api_key_env": nil])
    }

    @Test func chatRequestIsForwardedToChatCompletions() throws {
        let request = try harness.prepare(["model": "upstream-model", "messages": [["role": "user", "content": "hi"]]]).get()
        #expect(request.url == "http://127.0.0.1:9/v1/chat/completions")
        #expect(request.method == "POST")
        #expect(try JSONValue.parse(request.body)["messages"]?[0]?["content"]?.stringValue == "hi")
    }

    @Test func streamSplitAtEveryByteStillYieldsEachChunkAndTheUsage() {
        let events = """
        data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"He"}}]}

        data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"llo"},"finish_reason":"stop"}]}

        data: {"id":"c1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}

        data: [DONE]


        """
        let asked: JSONValue = ["model": "m", "stream": true, "messages": [], "stream_options": ["include_usage": true]]
        let transcript = harness.respond(ProviderHarness.call(stream: true, request: asked), body: Array(events.utf8), chunkSize: 1)
        #expect(transcript.failure == nil)
        #expect(transcript.json.count == 3)
        #expect(transcript.usage?["total_tokens"]?.intValue == 5)
    }

    /// A broken `data:` line ends the stream with an error at the plugin: it is not forwarded,
    /// and nothing after it is (no clean end for a stream that broke).
    @Test(arguments: [
        #"data: {"id":"c1","choices":[{"index":0,"delta":{"content":"a"#,  // cut inside a string
        "data: not json at all",
        #"data: {"id":"c1"} trailing"#,
    ])
    func aBrokenStreamEventEndsTheStreamWithAnError(_ line: String) {
        var events = Array("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}\n\n".utf8)
        events += Array(line.utf8) + Array("\n\n".utf8)
        events += Array("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"after\"}}]}\n\ndata: [DONE]\n\n".utf8)
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: events, chunkSize: 3)
        #expect(transcript.failure?.status == SY_E_UPSTREAM)
        #expect(transcript.failure?.httpStatus == 502)
        // Refused by the plugin itself (the host's own check would say "wrote output the gateway refused").
        #expect(transcript.failure?.message.hasPrefix("upstream sent an event that is not a JSON object") == true)
        #expect(transcript.json.count == 1 && transcript.unparsable.isEmpty)
    }

    /// A raw 0xFF byte inside an event is invalid UTF-8: refused the same way.
    @Test func aStreamEventWithInvalidUTF8IsRefused() {
        var events = Array("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a".utf8)
        events += [0xFF]
        events += Array("b\"}}]}\n\ndata: [DONE]\n\n".utf8)
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: events)
        #expect(transcript.failure?.message.hasPrefix("upstream sent an event that is not a JSON object") == true)
        #expect(transcript.json.isEmpty && transcript.unparsable.isEmpty)
    }

    @Test func upstreamRateLimitIsRetryableAndKeepsTheMessage() {
        let body = Array(#"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}"#.utf8)
        let transcript = harness.respond(status: 429, body: body)
        #expect(transcript.failure?.httpStatus == 429)
        #expect(transcript.failure?.retryable == true)
        #expect(transcript.errors.first?["error"]?["message"]?.stringValue == "slow down")
    }

    /// The SDK's policy (UpstreamErrorPolicy): 408 is retryable too, and a body that is not an
    /// error object gets the type its status says, quoting the body.
    @Test(arguments: [(408, "invalid_request_error", true), (404, "not_found_error", false), (503, "overloaded_error", true)])
    func upstreamErrorsFollowTheSDKsPolicy(_ status: Int, _ type: String, _ retryable: Bool) {
        let transcript = harness.respond(status: status, body: Array("<html>no</html>".utf8))
        #expect(transcript.failure?.httpStatus == status)
        #expect(transcript.failure?.retryable == retryable)
        #expect(transcript.errors.first?["error"]?["type"]?.stringValue == type)
        #expect(transcript.errors.first?["error"]?["message"]?.stringValue == "upstream returned HTTP \(status): <html>no</html>")
    }
}

/// Embeddings, the Responses API, metered streams and the Azure flavor.
@Suite struct OpenAIProviderOperationsTests {
    let openai: ProviderHarness
    let azure: ProviderHarness

    init() throws {
        openai = try ProviderHarness(product: "ProviderOpenAI", config: ["base_url": "http://127.0.0.1:9/v1", "api_key_env": nil])
        azure = try ProviderHarness(product: "ProviderOpenAI", config: [
            "flavor": "azure", "base_url": "https://res.openai.azure.com/", "api_key_env": nil, "api_version": "2024-10-21",
        ])
    }

    @Test func eachOperationHasItsURL() throws {
        let body: JSONValue = ["model": "m", "input": "hi"]
        #expect(try openai.prepare(body, ProviderHarness.call(SY_OP_EMBEDDINGS)).get().url == "http://127.0.0.1:9/v1/embeddings")
        #expect(try openai.prepare(body, ProviderHarness.call(SY_OP_RESPONSES)).get().url == "http://127.0.0.1:9/v1/responses")
        #expect(try azure.prepare(body, ProviderHarness.call(SY_OP_EMBEDDINGS, model: "embed-deploy")).get().url
            == "https://res.openai.azure.com/openai/deployments/embed-deploy/embeddings?api-version=2024-10-21")
        #expect(try azure.prepare(["model": "d", "messages": []], ProviderHarness.call(model: "chat-deploy")).get().url
            == "https://res.openai.azure.com/openai/deployments/chat-deploy/chat/completions?api-version=2024-10-21")
        #expect(try azure.prepare(body, ProviderHarness.call(SY_OP_RESPONSES)).get().url == "https://res.openai.azure.com/openai/v1/responses")
    }

    @Test func azureRefusesDeploymentNamesThatWouldChangeThePath() {
        guard case .failure(let failure) = azure.prepare(["model": "x", "messages": []], ProviderHarness.call(model: "../admin")) else {
            Issue.record("a deployment name with a slash was accepted")
            return
        }
        #expect(failure.httpStatus == 400)
    }

    @Test func azureSendsTheKeyAsApiKey() throws {
        setenv("SWITCHYARD_TEST_AZURE_KEY", "az-secret", 1)
        let keyed = try ProviderHarness(product: "ProviderOpenAI", config: [
            "flavor": "azure", "base_url": "https://res.openai.azure.com", "api_key_env": "SWITCHYARD_TEST_AZURE_KEY",
        ])
        let request = try keyed.prepare(["model": "d", "messages": []]).get()
        #expect(request.headers.contains { $0.name == "api-key" && $0.value == "az-secret" })
        #expect(!request.headers.contains { $0.name == "Authorization" })
    }

    @Test func aStreamIsAlwaysMeteredButTheClientOnlySeesTheUsageChunkItAskedFor() throws {
        let asked: JSONValue = ["model": "m", "stream": true, "messages": [], "stream_options": ["include_usage": true]]
        let silent: JSONValue = ["model": "m", "stream": true, "messages": []]
        let upstreamBody = try JSONValue.parse(try openai.prepare(silent, ProviderHarness.call(stream: true)).get().body)
        #expect(upstreamBody["stream_options"]?["include_usage"]?.boolValue == true)
        #expect(upstreamBody["messages"]?.arrayValue?.isEmpty == true)

        let events = Array("""
        data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}

        data: {"id":"c","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}

        data: [DONE]


        """.utf8)
        let hidden = openai.respond(ProviderHarness.call(stream: true, request: silent), body: events)
        #expect(hidden.failure == nil && hidden.json.count == 1 && hidden.usage?["total_tokens"]?.intValue == 3)
        let shown = openai.respond(ProviderHarness.call(stream: true, request: asked), body: events, chunkSize: 7)
        #expect(shown.failure == nil && shown.json.count == 2 && shown.usage?["total_tokens"]?.intValue == 3)
    }

    @Test func responsesStreamIsForwardedEventByEventWithNormalizedUsage() {
        let events = Array("""
        event: response.created
        data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress"}}

        event: response.output_text.delta
        data: {"type":"response.output_text.delta","sequence_number":1,"delta":"Hi"}

        event: response.completed
        data: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":4,"input_tokens_details":{"cached_tokens":1},"output_tokens":2,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":6}}}


        """.utf8)
        let transcript = openai.respond(ProviderHarness.call(SY_OP_RESPONSES, stream: true), body: events, chunkSize: 5)
        #expect(transcript.failure == nil)
        #expect(transcript.json.map { $0["type"]?.stringValue } == ["response.created", "response.output_text.delta", "response.completed"])
        #expect(transcript.usage?["prompt_tokens"]?.intValue == 4)
        #expect(transcript.usage?["prompt_tokens_details"]?["cached_tokens"]?.intValue == 1)
        #expect(transcript.usage?["total_tokens"]?.intValue == 6)
    }

    @Test func responsesStreamCutBeforeCompletionIsA502() {
        let events = Array("data: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{}}\n\n".utf8)
        let transcript = openai.respond(ProviderHarness.call(SY_OP_RESPONSES, stream: true), body: events)
        #expect(transcript.failure?.httpStatus == 502)
    }

    @Test func embeddingsAreForwardedWithTheirUsage() {
        let body = Array(#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}"#.utf8)
        let transcript = openai.respond(ProviderHarness.call(SY_OP_EMBEDDINGS), body: body)
        #expect(transcript.failure == nil && transcript.json.first?["data"]?[0]?["index"]?.intValue == 0)
        #expect(transcript.usage?["prompt_tokens"]?.intValue == 2)
    }
}

/// Config mistakes are refused at instance creation, naming the key.
@Suite struct OpenAIProviderConfigTests {
    @Test(arguments: [
        (["flavor": "azur", "api_key_env": nil] as JSONValue, "flavor"),
        (["flavor": "azure", "api_key_env": nil] as JSONValue, "base_url"),
        (["base_url": "ftp://x", "api_key_env": nil] as JSONValue, "base_url"),
        (["stream_usage": "yes", "api_key_env": nil] as JSONValue, "stream_usage"),
        (["api_key_env": "SWITCHYARD_TEST_UNSET_VARIABLE"] as JSONValue, "SWITCHYARD_TEST_UNSET_VARIABLE"),
        (["base_url": "http://x/v1", "api_key_env": nil, "organisation": "o"] as JSONValue, "organisation"),
    ])
    func badConfigIsRefusedNamingTheKey(config: JSONValue, named key: String) {
        do {
            _ = try ProviderHarness(product: "ProviderOpenAI", config: config)
            Issue.record("config \(config) was accepted")
        } catch {
            #expect("\(error)".contains(key), "\(error)")
        }
    }
}
