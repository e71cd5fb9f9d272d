import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardHTTP
import Testing

/// The rules of passthrough that need no network: how `/p/{provider}/…` splits, which paths are
/// refused as unnormalized, which header fields cross each way, and the path a native attempt's
/// enrichers see.
@Suite struct PassthroughRulesTests {
    @Test(arguments: [
        ("/p/openai/v1/chat/completions", "openai", "/v1/chat/completions"),
        ("/p/openai/v1/models?after=a%20b&limit=2", "openai", "/v1/models?after=a%20b&limit=2"),
        ("/p/gemini/v1beta/models/g:streamGenerateContent?alt=sse", "gemini", "/v1beta/models/g:streamGenerateContent?alt=sse"),
        ("/p/openai", "openai", "/"),
        ("/p/openai?x=1", "openai", "/?x=1"),
        ("/p//v1", "", "/v1"),
    ])
    func splitsTheProviderFromThePathKeepingTheQuery(target: String, provider: String, path: String) {
        let split = PassthroughEndpoint.split(target)
        #expect(split.provider == provider && split.path == path)
    }

    @Test(arguments: [
        ("/v1/chat/completions", nil),
        ("/v1/models/", nil),
        ("/", nil),
        ("/v1/../files", "has a '.' or '..' segment"),
        ("/v1/./files", "has a '.' or '..' segment"),
        ("/v1/..", "has a '.' or '..' segment"),
        ("/v1//files", "has an empty segment ('//')"),
        ("/v1/%2e%2e/files", "has a percent-escape of a character that needs none ('%2e')"),
        ("/v1%2Ffiles", "has a percent-escape of a character that needs none ('%2F')"),
        ("/v1/%6frganization/users", "has a percent-escape of a character that needs none ('%6f')"),
        ("/v1/files%", "has a '%' that is not a percent-escape"),
        ("/v1/files%zz", "has a '%' that is not a percent-escape"),
        ("/v1/organization;x/users", "has a ';' parameter"),
        ("/v1/files/a%20b%3Ac", nil),
        ("/v1\\files", "has a backslash"),
    ] as [(String, String?)])
    func refusesPathsThatCouldDodgeAPrefix(path: String, problem: String?) {
        #expect(PassthroughEndpoint.unnormalized(path[...]) == problem)
    }

    @Test func upstreamGetsTheClientsEndToEndFieldsButNoCredentialsOrHopByHop() {
        let client = HTTPHeaders([
            ("Host", "gateway"), ("Content-Type", "application/json"), ("Authorization", "Bearer client"),
            ("x-api-key", "client"), ("X-Goog-Api-Key", "client"), ("api-key", "client"), ("Connection", "keep-alive, X-Trace-Hop"),
            ("X-Trace-Hop", "1"), ("Keep-Alive", "timeout=5"), ("TE", "trailers"), ("Content-Length", "12"), ("Expect", "100-continue"),
            ("X-Request-ID", "client-id"), ("anthropic-version", "2023-06-01"), ("Accept-Encoding", "gzip"), ("OpenAI-Beta", "assistants=v2"),
            ("X_Api_Key", "client"), ("Api_Key", "client"), ("Ocp-Apim-Subscription-Key", "client"), ("Cookie", "session=1"),
            ("OpenAI-Organization", "org-client"), ("OpenAI-Project", "proj-client"), ("traceparent", "00-client"), ("tracestate", "a=b"),
        ])
        let forwarded = ForwardedHeaders.upstream(client, requestID: "req-1", providerSet: ["openai-beta"], identityEncoding: false)
        #expect(forwarded.map { "\($0.0): \($0.1)" } == [
            "Content-Type: application/json", "anthropic-version: 2023-06-01", "Accept-Encoding: gzip", "X-Request-ID: req-1",
        ])
        let identity = ForwardedHeaders.upstream(client, requestID: "req-1", providerSet: [], identityEncoding: true)
        #expect(identity.filter { $0.0.lowercased() == "accept-encoding" }.map(\.1) == ["identity"])
        // The trace context is the gateway's: the client's continues in it (TraceContext).
        let traced = ForwardedHeaders.upstream(client, requestID: "req-1", trace: ("00-ours", "a=b"), providerSet: [], identityEncoding: false)
        #expect(traced.filter { $0.0.lowercased().hasPrefix("trace") }.map { "\($0.0): \($0.1)" } == ["traceparent: 00-ours", "tracestate: a=b"])
    }

    @Test func clientGetsTheUpstreamsFieldsLessFramingHopByHopAndOrigin() {
        let upstream: [(name: String, value: String)] = [
            ("Content-Type", "text/event-stream"), ("Content-Length", " 42 "), ("Connection", "close"), ("Date", "then"),
            ("x-request-id", "req_upstream"), ("Retry-After", "1"), ("x-ratelimit-remaining-requests", "9"), ("Set-Cookie", "a=b"),
            ("Alt-Svc", "h3=\":443\""), ("Transfer-Encoding", "chunked"), ("X-A", "a\rX-Injected: yes"), ("X-Switchyard-Mode", "fake"),
            ("Bad Name", "x"), ("X-Request-ID", "second\rX-Injected: yes"),
        ]
        let (headers, length) = ForwardedHeaders.downstream(upstream)
        #expect(headers.pairs.map { "\($0.name): \($0.value)" } == [
            "Content-Type: text/event-stream", "X-Upstream-Request-ID: req_upstream", "Retry-After: 1", "x-ratelimit-remaining-requests: 9",
        ])
        #expect(length == nil)  // chunked wins over a stray Content-Length
        #expect(ForwardedHeaders.downstream([("Content-Length", "42")]).contentLength == 42)
    }

    @Test(arguments: [
        ("https://api.anthropic.com/v1/messages", "/v1/messages"),
        ("http://127.0.0.1:8080/v1/messages?beta=true", "/v1/messages?beta=true"),
        ("https://host", "/"),
        ("https://host?x=1", "/?x=1"),
    ])
    func aNativeAttemptsEnrichersSeeItsPathAndQuery(url: String, path: String) {
        #expect(PlanExecutor.pathAndQuery(of: url) == path)
    }
}
