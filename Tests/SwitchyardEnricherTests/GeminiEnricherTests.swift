import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// libEnricherGemini.so fed with recorded Gemini wire bytes (Fixtures/gemini), cut at every
/// place the splitter chooses, and checked against the gemini provider's own metering.
@Suite struct GeminiEnricherTests {
    let enricher: EnricherHarness
    init() throws { enricher = try EnricherHarness(product: "EnricherGemini") }

    static let model = "/v1beta/models/gemini-2.5-flash"
    /// generate.json / stream.sse / stream-array.json: prompt 4 (2 cached), candidates 5, thoughts 7.
    static let thinkingUsage: JSONValue = ["prompt_tokens": 4, "completion_tokens": 12, "total_tokens": 16,
                                           "prompt_tokens_details": ["cached_tokens": 2], "completion_tokens_details": ["reasoning_tokens": 7]]
    static let toolUsage: JSONValue = ["prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11,
                                       "prompt_tokens_details": ["cached_tokens": 0], "completion_tokens_details": ["reasoning_tokens": 0]]

    func gemini(_ path: String, _ fixture: String, type: String = "application/json", status: Int = 200) throws -> Exchange {
        Exchange(path, status: status, contentType: type, responseBody: try Fixture.bytes("gemini/" + fixture))
    }

    func chat(_ usage: JSONValue?, model: String = "gemini-2.5-flash") -> JSONValue {
        report("chat.completions", model: model, usage: usage, audit: "/v1/chat/completions")
    }

    @Test func readsResponseBodiesOnly() {
        #expect(enricher.phases == SY_PHASE_RESPONSE)
    }

    @Test func generateContentWholeStreamedAndAsAnArray() throws {
        enricher.expectReport(try gemini(Self.model + ":generateContent", "generate.json"), chat(Self.thinkingUsage))
        enricher.expectReport(try gemini(Self.model + ":streamGenerateContent?alt=sse", "stream.sse", type: eventStream), chat(Self.thinkingUsage))
        enricher.expectReport(try gemini(Self.model + ":streamGenerateContent", "stream-array.json"), chat(Self.thinkingUsage))
        enricher.expectReport(try gemini(Self.model + ":generateContent", "generate-tools.json"), chat(Self.toolUsage))
        enricher.expectReport(try gemini(Self.model + ":streamGenerateContent?alt=sse", "stream-tools.sse", type: eventStream), chat(Self.toolUsage))
    }

    @Test func usageIsTheGeminiProvidersUsageForTheSameBytes() throws {
        let provider = try ProviderUsage(product: "ProviderGemini", config: ["base_url": "http://127.0.0.1:9/v1beta", "api_key_env": nil])
        let request: JSONValue = ["model": "gemini-2.5-flash", "messages": [["role": "user", "content": "hello there my friend"]]]
        for (fixture, stream) in [("generate.json", false), ("generate-tools.json", false), ("stream.sse", true), ("stream-tools.sse", true)] {
            let body = try Fixture.bytes("gemini/" + fixture)
            let expected = try provider.usage(operation: SY_OP_CHAT_COMPLETIONS, stream: stream, request: request, body: body)
            #expect(expected != nil, "\(fixture): the provider reported no usage")
            let exchange = Exchange(Self.model + (stream ? ":streamGenerateContent?alt=sse" : ":generateContent"),
                                    contentType: stream ? eventStream : "application/json", responseBody: body)
            #expect(enricher.run(exchange, split: .every(3)).report?["usage"] == expected, "\(fixture)")
        }
    }

    @Test func theLatestUsageMetadataWinsAndACutStreamKeepsIt() {
        // Google's servers repeat usageMetadata on every chunk, growing; the last is complete.
        let wire = """
            data: {"candidates":[{"content":{"parts":[{"text":"a"}],"role":"model"}}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1,"totalTokenCount":10},"modelVersion":"gemini-2.5-pro-preview-06-05"}\r
            \r
            data: {"candidates":[{"content":{"parts":[{"text":"b"}],"role":"model"}}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2,"toolUsePromptTokenCount":3,"totalTokenCount":14},"modelVersion":"gemini-2.5-pro-preview-06-05"}\r
            \r
            data: {"candidates":[{"content":{"parts":[{"text":"c"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":3,"toolUsePromptTokenCount":3,"thoughtsTokenCount":4,"totalTokenCount":19},"modelVersion":"gemini-2.5-pro-preview-06-05"}\r
            \r

            """
        let bytes = Array(wire.utf8)
        var exchange = Exchange("/v1beta/models/gemini-pro-latest:streamGenerateContent?alt=sse", contentType: eventStream, responseBody: bytes)
        enricher.expectReport(exchange, chat(["prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19, "prompt_tokens_details": ["cached_tokens": 0],
                                              "completion_tokens_details": ["reasoning_tokens": 4]], model: "gemini-2.5-pro-preview-06-05"))
        exchange.responseBody = truncated(bytes, at: #"data: {"candidates":[{"content":{"parts":[{"text":"c"}]"#)
        exchange.outcome = SY_E_UPSTREAM
        enricher.expectReport(exchange, chat(["prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14, "prompt_tokens_details": ["cached_tokens": 0],
                                              "completion_tokens_details": ["reasoning_tokens": 0]], model: "gemini-2.5-pro-preview-06-05"))
    }

    @Test func anErrorChunkMidStreamLeavesNoUsage() throws {
        // The first chunk (no usageMetadata), then {"error":{"code":503,...}}.
        enricher.expectReport(try gemini(Self.model + ":streamGenerateContent?alt=sse", "stream-error.sse", type: eventStream), chat(nil))
    }

    @Test func embeddingsAndCountTokensReportZeroAsTheProviderDoes() throws {
        let embeddings = report("embeddings", model: "text-embedding-004", usage: ["prompt_tokens": 0, "total_tokens": 0], audit: "/v1/embeddings")
        enricher.expectReport(try gemini("/v1beta/models/text-embedding-004:embedContent", "embed.json"), embeddings)
        enricher.expectReport(try gemini("/v1beta/models/text-embedding-004:batchEmbedContents", "batch-embed.json"), embeddings)
        enricher.expectReport(try gemini(Self.model + ":countTokens", "count-tokens.json"),
                              report("count_tokens", model: "gemini-2.5-flash", usage: ["prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0],
                                     audit: "/v1/messages/count_tokens"))
    }

    @Test func otherPathFormsAndResources() throws {
        let body = try Fixture.bytes("gemini/generate.json")
        // Without the version (a base URL that ends in it), and a tuned model.
        enricher.expectReport(Exchange("/models/gemini-2.5-flash:generateContent", responseBody: body), chat(Self.thinkingUsage))
        enricher.expectReport(Exchange("/v1/tunedModels/my-tune-7:generateContent", responseBody: Array(#"{"candidates":[]}"#.utf8)), chat(nil, model: "my-tune-7"))
        let cases: [(String, String, String, String?)] = [
            ("POST", "/v1beta/cachedContents", "cachedContents", nil),
            ("POST", "/upload/v1beta/files?uploadType=resumable", "files", nil),
            ("GET", "/v1beta/models", "models", nil),
            ("GET", "/v1beta/models/gemini-2.5-flash", "models", "gemini-2.5-flash"),
            ("POST", "/v1beta/models/gemini-2.5-flash:batchGenerateContent", "batchGenerateContent", "gemini-2.5-flash"),
        ]
        for (method, path, operation, model) in cases {
            let audit = String(path[..<(path.firstIndex(of: "?") ?? path.endIndex)])
            #expect(enricher.run(Exchange(path, method: method, responseBody: body)) == .report(report(operation, model: model, usage: nil, audit: audit)), "\(path)")
        }
    }

    @Test func anotherFamilysPathIsDeclined() {
        for path in ["/v1/chat/completions", "/v1/messages", "/files", "/v1beta/models/:generateContent", "/v1beta/models/x:", "/v1beta/openai/chat/completions",
                     "/", "/v1beta"] {
            #expect(enricher.run(Exchange(path)) == .declined, "\(path)")
        }
    }

    @Test func anErrorAnswerOrAnEncodedOneHasNoUsage() throws {
        enricher.expectReport(try gemini(Self.model + ":generateContent", "rate-limited.json", status: 429), chat(nil))
        let encoded = Exchange(Self.model + ":generateContent", responseBody: try Fixture.bytes("gemini/generate.json"), responseHeaders: [("Content-Encoding", "gzip")])
        enricher.expectReport(encoded, chat(nil))
    }

    @Test func anArrayElementPastTheCapDropsTheUsage() throws {
        let array = try Fixture.bytes("gemini/stream-array.json")
        let text = String(repeating: "q", count: 1 << 20)
        let huge = Array(#"{"candidates":[{"content":{"parts":[{"text":"\#(text)"}],"role":"model"}}]},"#.utf8)
        let exchange = Exchange(Self.model + ":streamGenerateContent", responseBody: [array[0]] + huge + array[1...])
        for split in [Split.every(4096), .whole] {
            #expect(enricher.run(exchange, split: split) == .report(chat(nil)), "\(split)")
        }
    }
}
