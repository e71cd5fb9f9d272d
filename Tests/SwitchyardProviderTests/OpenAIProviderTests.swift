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
        let transcript = harness.respond(ProviderHarness.call(stream: true), body: Array(events.utf8), chunkSize: 1)
        #expect(transcript.failure == nil)
        #expect(transcript.json.count == 3)
        #expect(transcript.usage?["total_tokens"]?.intValue == 5)
    }

    @Test func upstreamRateLimitIsRetryableAndKeepsTheMessage() {
        let body = Array(#"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":null}}"#.utf8)
        let transcript = harness.respond(status: 429, body: body)
        #expect(transcript.failure?.httpStatus == 429)
        #expect(transcript.failure?.retryable == true)
        #expect(transcript.errors.first?["error"]?["message"]?.stringValue == "slow down")
    }
}
