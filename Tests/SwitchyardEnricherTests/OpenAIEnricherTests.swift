import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// libEnricherOpenAI.so fed with recorded OpenAI wire bytes (Fixtures/openai), cut at every
/// place the splitter chooses: the report never depends on where chunks end.
@Suite struct OpenAIEnricherTests {
    let enricher: EnricherHarness
    init() throws { enricher = try EnricherHarness(product: "EnricherOpenAI") }

    static let chatRequest: JSONValue = ["model": "gpt-4o-mini", "messages": [["role": "user", "content": "hi"]]]
    static let chatUsage: JSONValue = ["prompt_tokens": 4, "completion_tokens": 3, "total_tokens": 7]

    func chat(_ fixture: String, path: String = "/v1/chat/completions", type: String = "application/json", body: JSONValue = chatRequest) throws -> Exchange {
        Exchange(path, body: body, contentType: type, responseBody: try Fixture.bytes("openai/" + fixture))
    }

    @Test func readsRequestAndResponseBodies() {
        #expect(enricher.phases == SY_PHASE_REQUEST | SY_PHASE_RESPONSE)
    }

    @Test func chatCompletionWholeAndStreamedWithToolCalls() throws {
        enricher.expectReport(try chat("chat.json"), report("chat.completions", model: "gpt-4o-mini", usage: Self.chatUsage, audit: "/v1/chat/completions"))
        enricher.expectReport(try chat("chat-tools.json"), report("chat.completions", model: "gpt-4o-mini",
                                                                 usage: ["prompt_tokens": 6, "completion_tokens": 8, "total_tokens": 14], audit: "/v1/chat/completions"))
        enricher.expectReport(try chat("chat-stream.sse", type: eventStream), report("chat.completions", model: "gpt-4o-mini",
                                                                                   usage: ["prompt_tokens": 6, "completion_tokens": 7, "total_tokens": 13], audit: "/v1/chat/completions"))
        enricher.expectReport(try chat("chat-tools-stream.sse", type: eventStream), report("chat.completions", model: "gpt-4o-mini",
                                                                                         usage: ["prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11], audit: "/v1/chat/completions"))
    }

    @Test func cachedAndReasoningTokensAreKeptUnderTheirCanonicalNames() throws {
        let usage: JSONValue = ["prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
                                "prompt_tokens_details": ["cached_tokens": 1920], "completion_tokens_details": ["reasoning_tokens": 192]]
        let expected = report("chat.completions", model: "o3-mini-2025-01-31", usage: usage, audit: "/v1/chat/completions")
        enricher.expectReport(try chat("chat-reasoning-cached.json"), expected)
        // CRLF line ends, "usage": null on every chunk but the last, escaped text.
        enricher.expectReport(try chat("chat-reasoning-cached-stream.sse", type: eventStream), expected)
    }

    @Test func aStreamWithoutTheUsageChunkReportsTheModelOnly() throws {
        enricher.expectReport(try chat("chat-stream-no-usage.sse", type: eventStream), report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions"))
    }

    @Test func legacyCompletionsWholeAndStreamed() throws {
        let request: JSONValue = ["model": "gpt-3.5-turbo-instruct", "prompt": "Say this is a test"]
        enricher.expectReport(try chat("completions.json", path: "/v1/completions", body: request),
                              report("completions", model: "gpt-3.5-turbo-instruct", usage: ["prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12], audit: "/v1/completions"))
        enricher.expectReport(try chat("completions-stream.sse", path: "/v1/completions", type: eventStream, body: request),
                              report("completions", model: "gpt-3.5-turbo-instruct", usage: ["prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9], audit: "/v1/completions"))
    }

    @Test func embeddingsHaveNoCompletionTokens() throws {
        enricher.expectReport(try chat("embeddings.json", path: "/v1/embeddings", body: ["model": "text-embedding-3-small", "input": ["one two", "three"]]),
                              report("embeddings", model: "text-embedding-3-small", usage: ["prompt_tokens": 3, "total_tokens": 3], audit: "/v1/embeddings"))
    }

    @Test func responsesWholeAndStreamedMapInputAndOutputTokens() throws {
        let usage: JSONValue = ["prompt_tokens": 3, "completion_tokens": 10, "total_tokens": 13,
                                "prompt_tokens_details": ["cached_tokens": 2], "completion_tokens_details": ["reasoning_tokens": 6]]
        let request: JSONValue = ["model": "o4-mini", "input": "hello there friend"]
        let expected = report("responses", model: "o4-mini", usage: usage, audit: "/v1/responses")
        enricher.expectReport(try chat("responses.json", path: "/v1/responses", body: request), expected)
        enricher.expectReport(try chat("responses-stream.sse", path: "/v1/responses", type: eventStream, body: request), expected)
        enricher.expectReport(try chat("responses-tools-stream.sse", path: "/v1/responses", type: eventStream, body: request),
                              report("responses", model: "o4-mini", usage: ["prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11,
                                                                            "prompt_tokens_details": ["cached_tokens": 0], "completion_tokens_details": ["reasoning_tokens": 0]],
                                     audit: "/v1/responses"))
    }

    @Test func pathsWithoutV1AndAzureDeploymentsAreTheSameOperations() throws {
        let expected = report("chat.completions", model: "gpt-4o-mini", usage: Self.chatUsage, audit: "/v1/chat/completions")
        enricher.expectReport(try chat("chat.json", path: "/chat/completions"), expected)
        enricher.expectReport(try chat("chat.json", path: "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21", body: ["messages": []]), expected)
        enricher.expectReport(try chat("chat.json", path: "/openai/v1/chat/completions"), expected)
        enricher.expectReport(try chat("chat.json", path: "/v1beta/openai/chat/completions"), expected)
    }

    @Test func theModelFallsBackToTheRequestThenTheAzureDeployment() throws {
        let limited = Array(#"{"error":{"message":"slow down","type":"rate_limit_error"}}"#.utf8)
        var exchange = Exchange("/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21", body: ["messages": []], status: 429, responseBody: limited)
        enricher.expectReport(exchange, report("chat.completions", model: "prod-4o", usage: nil, audit: "/v1/chat/completions"))
        exchange = Exchange("/v1/chat/completions", body: Self.chatRequest, status: 429, responseBody: limited, responseHeaders: [("retry-after", "1")])
        enricher.expectReport(exchange, report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions"))
        // A 2xx answer without `model` (some compatible servers): the request's.
        exchange = Exchange("/v1/chat/completions", body: ["model": "llama3", "messages": []],
                            responseBody: Array(#"{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#.utf8))
        enricher.expectReport(exchange, report("chat.completions", model: "llama3", usage: ["prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3], audit: "/v1/chat/completions"))
    }

    @Test func otherOpenAIPathsAreReportedWithOperationAndAuditPathOnly() throws {
        let usageBody = try Fixture.bytes("openai/responses.json")
        let cases: [(String, String, String, String)] = [
            ("GET", "/v1/files/file-abc123/content", "files", "/v1/files/file-abc123/content"),
            ("POST", "/v1/audio/transcriptions", "audio.transcriptions", "/v1/audio/transcriptions"),
            ("GET", "/v1/models", "models", "/v1/models"),
            ("POST", "/v1/batches?limit=2", "batches", "/v1/batches"),
            ("GET", "/models/gpt-4o", "models", "/v1/models/gpt-4o"),
            // Retrieving a stored response is not a new generation: its usage is not metered again.
            ("GET", "/v1/responses/resp_mock_1", "responses", "/v1/responses/resp_mock_1"),
            ("GET", "/v1/chat/completions", "chat.completions", "/v1/chat/completions"),
        ]
        for (method, path, operation, audit) in cases {
            var exchange = Exchange(path, method: method, responseBody: usageBody)
            exchange.requestBody = Array(#"{"model":"not-read"}"#.utf8)
            enricher.expectReport(exchange, report(operation, model: nil, usage: nil, audit: audit))
        }
    }

    @Test func anotherFamilysPathIsDeclined() {
        for path in ["/v1/messages", "/v1/messages/count_tokens", "/v1/complete", "/v1beta/models/gemini-2.5-flash:generateContent",
                     "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "/api/chat", "/", "/v1", "/unknown/thing", "/openai"] {
            #expect(enricher.run(Exchange(path, body: Self.chatRequest)) == .declined, "\(path)")
        }
    }

    @Test func aCutStreamReportsWhatWasCounted() throws {
        let stream = try Fixture.bytes("openai/chat-stream.sse")
        // Cut before the usage chunk: nothing counted yet.
        var exchange = Exchange("/v1/chat/completions", body: Self.chatRequest, contentType: eventStream, responseBody: truncated(stream, at: #""choices":[],"usage""#))
        exchange.outcome = SY_E_UPSTREAM
        enricher.expectReport(exchange, report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions"))
        // Cut after it, before [DONE]: the usage arrived whole.
        exchange.responseBody = truncated(stream, at: "data: [DONE]")
        exchange.outcome = SY_E_CANCELLED
        enricher.expectReport(exchange, report("chat.completions", model: "gpt-4o-mini", usage: ["prompt_tokens": 6, "completion_tokens": 7, "total_tokens": 13], audit: "/v1/chat/completions"))
        // A whole response cut short is not a JSON document: no usage.
        let whole = try Fixture.bytes("openai/chat.json")
        exchange = Exchange("/v1/chat/completions", body: Self.chatRequest, responseBody: Array(whole.dropLast(3)))
        exchange.outcome = SY_E_UPSTREAM
        enricher.expectReport(exchange, report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions"))
        // No response at all.
        exchange.response = nil
        exchange.responseBody = []
        enricher.expectReport(exchange, report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions"))
    }

    @Test func bodiesPastTheCapsAreReportedWithoutUsage() throws {
        let text = String(repeating: "a", count: (1 << 20) + 10)
        // A whole response past 8 MiB: not buffered, not read; the request still names the model.
        let large = Array(#"{"model":"gpt-4o-mini-2024","choices":[{"message":{"content":""#.utf8)
            + Array(String(repeating: "b", count: 8 << 20).utf8) + Array(#""}}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#.utf8)
        var exchange = Exchange("/v1/chat/completions", body: Self.chatRequest, responseBody: large)
        #expect(enricher.run(exchange, split: .every(65536)) == .report(report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions")))
        // One SSE event past 1 MiB: dropped, so the counts that follow may not be the whole story.
        let stream = try Fixture.bytes("openai/chat-stream.sse")
        let huge = Array("data: {\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(text)\"}}]}\n\n".utf8)
        exchange = Exchange("/v1/chat/completions", body: Self.chatRequest, contentType: eventStream, responseBody: huge + stream)
        for split in [Split.every(65536), .every(1 << 20), .whole] {
            #expect(enricher.run(exchange, split: split) == .report(report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions")), "\(split)")
        }
        // A request past 1 MiB: its model is unknown, the response's is used and usage is whole.
        let request: JSONValue = ["model": "from-request", "messages": [["role": "user", "content": .string(text)]]]
        exchange = Exchange("/v1/chat/completions", body: request, responseBody: try Fixture.bytes("openai/chat.json"))
        #expect(enricher.run(exchange, split: .every(65536)) == .report(report("chat.completions", model: "gpt-4o-mini", usage: Self.chatUsage, audit: "/v1/chat/completions")))
        exchange.response = Exchange.Head(status: 500, method: "", path: "", headers: [])
        #expect(enricher.run(exchange, split: .every(65536)) == .report(report("chat.completions", model: nil, usage: nil, audit: "/v1/chat/completions")))
    }

    @Test func anEncodedResponseIsReportedWithoutUsage() throws {
        let exchange = Exchange("/v1/chat/completions", body: Self.chatRequest, responseBody: try Fixture.bytes("openai/chat.json"),
                                responseHeaders: [("Content-Encoding", "gzip")])
        enricher.expectReport(exchange, report("chat.completions", model: "gpt-4o-mini", usage: nil, audit: "/v1/chat/completions"))
        let identity = Exchange("/v1/chat/completions", body: Self.chatRequest, responseBody: try Fixture.bytes("openai/chat.json"),
                                responseHeaders: [("Content-Encoding", "Identity")])
        enricher.expectReport(identity, report("chat.completions", model: "gpt-4o-mini", usage: Self.chatUsage, audit: "/v1/chat/completions"))
    }

    @Test func aRefusedReportFailsEndWithTheHostsStatus() throws {
        var exchange = try chat("chat.json")
        exchange.refuseReport = true
        guard case .failed(let status, let message) = enricher.run(exchange) else { Issue.record("end did not fail"); return }
        #expect(status == SY_E_INVALID)
        #expect(message.contains("refused the enrichment report"))
    }

    @Test func anUnknownConfigKeyIsRefused() {
        #expect(throws: PluginLoadError.self) { try EnricherHarness(product: "EnricherOpenAI", config: ["sample_rate": 1]) }
    }
}
