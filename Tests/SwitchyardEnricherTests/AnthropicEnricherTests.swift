import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// libEnricherAnthropic.so fed with recorded Anthropic wire bytes (Fixtures/anthropic), cut at
/// every place the splitter chooses, and checked against the anthropic provider's own metering.
@Suite struct AnthropicEnricherTests {
    let enricher: EnricherHarness
    init() throws { enricher = try EnricherHarness(product: "EnricherAnthropic") }

    static let request: JSONValue = ["model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [["role": "user", "content": "hello there my friend"]]]
    /// message.json / message-stream.sse: input 4, cache reads 3, cache writes 2, output 12.
    static let cachedUsage: JSONValue = ["prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21,
                                         "prompt_tokens_details": ["cached_tokens": 3, "cache_creation_tokens": 2]]
    static let toolUsage: JSONValue = ["prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11,
                                       "prompt_tokens_details": ["cached_tokens": 0, "cache_creation_tokens": 0]]

    func messages(_ fixture: String, type: String = "application/json", path: String = "/v1/messages") throws -> Exchange {
        Exchange(path, body: Self.request, contentType: type, responseBody: try Fixture.bytes("anthropic/" + fixture))
    }

    @Test func messagesWholeAndStreamedWithThinkingCacheAndToolUse() throws {
        enricher.expectReport(try messages("message.json"), report("messages", model: "claude-sonnet-4-5", usage: Self.cachedUsage, audit: "/v1/messages"))
        enricher.expectReport(try messages("message-stream.sse", type: eventStream), report("messages", model: "claude-sonnet-4-5", usage: Self.cachedUsage, audit: "/v1/messages"))
        enricher.expectReport(try messages("message-tools.json"), report("messages", model: "claude-sonnet-4-5", usage: Self.toolUsage, audit: "/v1/messages"))
        enricher.expectReport(try messages("message-tools-stream.sse", type: eventStream), report("messages", model: "claude-sonnet-4-5", usage: Self.toolUsage, audit: "/v1/messages"))
        // A base URL that already ends in /v1.
        enricher.expectReport(try messages("message.json", path: "/messages?beta=true"), report("messages", model: "claude-sonnet-4-5", usage: Self.cachedUsage, audit: "/v1/messages"))
    }

    @Test func usageIsTheAnthropicProvidersUsageForTheSameBytes() throws {
        let provider = try ProviderUsage(product: "ProviderAnthropic", config: ["base_url": "http://127.0.0.1:9/v1", "api_key_env": nil])
        let cases: [(String, Bool)] = [("message.json", false), ("message-tools.json", false), ("message-stream.sse", true),
                                       ("message-tools-stream.sse", true), ("message-stream-error.sse", true)]
        for (fixture, stream) in cases {
            let body = try Fixture.bytes("anthropic/" + fixture)
            let expected = try provider.usage(operation: SY_OP_MESSAGES, stream: stream, request: Self.request, body: body)
            #expect(expected != nil, "\(fixture): the provider reported no usage")
            let exchange = Exchange("/v1/messages", body: Self.request, contentType: stream ? eventStream : "application/json", responseBody: body)
            #expect(enricher.run(exchange, split: .every(5)).report?["usage"] == expected, "\(fixture)")
        }
    }

    @Test func anErrorEventMidStreamKeepsWhatWasCounted() throws {
        // message_start (input 4, output 1), one delta, then `event: error` (overloaded).
        let exchange = try messages("message-stream-error.sse", type: eventStream)
        enricher.expectReport(exchange, report("messages", model: "claude-sonnet-4-5", usage: ["prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5,
                                                                                             "prompt_tokens_details": ["cached_tokens": 0, "cache_creation_tokens": 0]], audit: "/v1/messages"))
    }

    @Test func aCutStreamReportsTheCountsSoFar() throws {
        var exchange = try messages("message-stream.sse", type: eventStream)
        exchange.responseBody = truncated(exchange.responseBody, at: "event: message_delta")
        exchange.outcome = SY_E_UPSTREAM
        enricher.expectReport(exchange, report("messages", model: "claude-sonnet-4-5", usage: ["prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10,
                                                                                             "prompt_tokens_details": ["cached_tokens": 3, "cache_creation_tokens": 2]], audit: "/v1/messages"))
        // Cut before message_start: nothing counted, the request names the model.
        exchange.responseBody = truncated(exchange.responseBody, at: "data: {\"type\":\"message_start\"")
        exchange.outcome = SY_E_CANCELLED
        enricher.expectReport(exchange, report("messages", model: "claude-sonnet-4-5", usage: nil, audit: "/v1/messages"))
    }

    @Test func countTokensIsFreeAsTheProviderCountsIt() throws {
        let exchange = Exchange("/v1/messages/count_tokens", body: ["model": "claude-haiku-4-5", "messages": []],
                                responseBody: try Fixture.bytes("anthropic/count-tokens.json"))
        enricher.expectReport(exchange, report("count_tokens", model: "claude-haiku-4-5",
                                               usage: ["prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
                                                       "prompt_tokens_details": ["cached_tokens": 0, "cache_creation_tokens": 0]],
                                               audit: "/v1/messages/count_tokens"))
    }

    @Test func batchesAndModelsAreReportedWithOperationAndAuditPathOnly() throws {
        let body = try Fixture.bytes("anthropic/message.json")
        let cases: [(String, String, String, String)] = [
            ("POST", "/v1/messages/batches", "messages.batches", "/v1/messages/batches"),
            ("GET", "/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/results", "messages.batches", "/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/results"),
            ("GET", "/v1/models?limit=20", "models", "/v1/models"),
        ]
        for (method, path, operation, audit) in cases {
            let run = enricher.run(Exchange(path, method: method, body: Self.request, responseBody: body))
            #expect(run == .report(report(operation, model: nil, usage: nil, audit: audit)), "\(method) \(path)")
        }
    }

    @Test func anotherFamilysPathIsDeclined() {
        for path in ["/v1/chat/completions", "/v1/responses", "/v1beta/models/gemini-2.5-flash:generateContent", "/models", "/v1/complete",
                     "/v1/messagesx", "/", "/v1"] {
            #expect(enricher.run(Exchange(path, body: Self.request)) == .declined, "\(path)")
        }
        #expect(enricher.run(Exchange("/v1/messages", method: "GET")) == .declined)  // no such Anthropic call
    }

    @Test func anErrorAnswerOrAnEncodedOneHasNoUsage() throws {
        let overloaded = Exchange("/v1/messages", body: Self.request, status: 529, responseBody: try Fixture.bytes("anthropic/overloaded.json"))
        enricher.expectReport(overloaded, report("messages", model: "claude-sonnet-4-5", usage: nil, audit: "/v1/messages"))
        var encoded = try messages("message.json")
        encoded = Exchange("/v1/messages", body: Self.request, responseBody: encoded.responseBody, responseHeaders: [("content-encoding", "br")])
        enricher.expectReport(encoded, report("messages", model: "claude-sonnet-4-5", usage: nil, audit: "/v1/messages"))
    }

    @Test func anSSEEventPastTheCapDropsTheUsage() throws {
        let stream = try Fixture.bytes("anthropic/message-stream.sse")
        let text = String(repeating: "z", count: 1 << 20)
        let huge = Array("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\(text)\"}}\n\n".utf8)
        let cut = truncated(stream, at: "event: message_delta")
        let exchange = Exchange("/v1/messages", body: Self.request, contentType: eventStream, responseBody: cut + huge + stream[cut.count...])
        #expect(enricher.run(exchange, split: .every(4096)) == .report(report("messages", model: "claude-sonnet-4-5", usage: nil, audit: "/v1/messages")))
    }
}
