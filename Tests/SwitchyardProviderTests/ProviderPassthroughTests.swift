import CSwitchyardPlugin
import Glibc
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// The keys the passthrough tests configure, set once before any instance reads them (setenv
/// must not race getenv on other test threads).
enum PassthroughKeys {
    static let ready: Bool = {
        setenv("SWITCHYARD_TEST_PT_OPENAI", "sk-provider", 1)
        setenv("SWITCHYARD_TEST_PT_AZURE", "az-provider", 1)
        setenv("SWITCHYARD_TEST_PT_ANTHROPIC", "sk-ant-provider", 1)
        setenv("SWITCHYARD_TEST_PT_GEMINI", "AIza-provider", 1)
        return true
    }()

    static func harness(_ product: String, _ config: JSONValue) throws -> ProviderHarness {
        precondition(ready)
        return try ProviderHarness(product: product, config: config)
    }
}

/// What each provider's `passthrough` hook builds for `/p/{provider}{path}`, through the built
/// .so: the URL (base URL without its version segment + the client's path, query as sent), the
/// provider's own credentials, and nothing else (no method, no body: the host's).
@Suite struct ProviderPassthroughTests {
    private func request(_ harness: ProviderHarness, _ method: String = "POST", _ path: String) throws -> UpstreamRequestBuilder {
        try #require(harness.passthrough(method, path)).get()
    }

    private func refusal(_ harness: ProviderHarness, _ path: String) throws -> PluginFailure? {
        guard case .failure(let failure) = try #require(harness.passthrough("GET", path)) else { return nil }
        return failure
    }

    @Test(arguments: [
        ("https://api.openai.com/v1", "/v1/chat/completions", "https://api.openai.com/v1/chat/completions"),
        ("https://api.openai.com/v1", "/v1/models?limit=2&after=a%20b", "https://api.openai.com/v1/models?limit=2&after=a%20b"),
        ("https://api.openai.com/v1/", "/v1/files/file-1/content", "https://api.openai.com/v1/files/file-1/content"),
        ("http://127.0.0.1:8000/v1", "/v1/models/mock-model", "http://127.0.0.1:8000/v1/models/mock-model"),
        ("https://openrouter.ai/api/v1", "/v1/chat/completions", "https://openrouter.ai/api/v1/chat/completions"),
        ("http://127.0.0.1:8000", "/v1/embeddings", "http://127.0.0.1:8000/v1/embeddings"),
        ("http://v1", "/v1/models", "http://v1/v1/models"),  // "v1" as a host is no version segment
        ("https://example.com/v1beta", "/v1/models", "https://example.com/v1beta/v1/models"),  // only "v1" is OpenAI's
        ("https://api.openai.com/v1", "/v1/x?q=../../etc&r=%2e%2e", "https://api.openai.com/v1/x?q=../../etc&r=%2e%2e"),
    ])
    func openAIJoinsTheBaseWithoutV1AndThePath(_ base: String, _ path: String, _ url: String) throws {
        let harness = try PassthroughKeys.harness("ProviderOpenAI", ["base_url": .string(base), "api_key_env": "SWITCHYARD_TEST_PT_OPENAI"])
        let built = try request(harness, "POST", path)
        #expect(built.url == url)
        #expect(built.method == "POST" && built.body.isEmpty)
        #expect(built.headers.map(\.name) == ["Authorization"])
        #expect(built.headers.first?.value == "Bearer sk-provider")
    }

    @Test func openAIKeepsTheClientsMethodAndSendsOrganizationProjectAndExtraHeaders() throws {
        let harness = try PassthroughKeys.harness("ProviderOpenAI", [
            "base_url": "http://127.0.0.1:9/v1", "api_key_env": "SWITCHYARD_TEST_PT_OPENAI",
            "organization": "org-1", "project": "proj-1", "headers": ["X-Proxy-Auth": "p"],
        ])
        let built = try request(harness, "DELETE", "/v1/files/file-1")
        #expect(built.method == "DELETE")
        #expect(built.headers.map { "\($0.name): \($0.value)" }
            == ["Authorization: Bearer sk-provider", "OpenAI-Organization: org-1", "OpenAI-Project: proj-1", "X-Proxy-Auth: p"])
        #expect(built.headers.contains { $0.name.lowercased() == "authorization" } && built.headers.contains { $0.name.lowercased() == "openai-project" })
    }

    @Test func azureSendsApiKeyAndJoinsItsDeploymentPathsAsTheyAre() throws {
        let harness = try PassthroughKeys.harness("ProviderOpenAI", [
            "flavor": "azure", "base_url": "https://res.openai.azure.com/", "api_key_env": "SWITCHYARD_TEST_PT_AZURE",
        ])
        let built = try request(harness, "POST", "/openai/deployments/chat-deploy/chat/completions?api-version=2024-10-21")
        #expect(built.url == "https://res.openai.azure.com/openai/deployments/chat-deploy/chat/completions?api-version=2024-10-21")
        #expect(try request(harness, "GET", "/openai/v1/models").url == "https://res.openai.azure.com/openai/v1/models")
        #expect(built.headers.map { "\($0.name): \($0.value)" } == ["api-key: az-provider"])
    }

    @Test func aKeylessUpstreamGetsNoAuthHeader() throws {
        let harness = try PassthroughKeys.harness("ProviderOpenAI", ["base_url": "http://127.0.0.1:9/v1", "api_key_env": nil])
        let built = try request(harness, "GET", "/v1/models")
        #expect(built.headers.isEmpty)
        #expect(built.url == "http://127.0.0.1:9/v1/models")
    }

    @Test(arguments: [
        ("https://api.anthropic.com/v1", "/v1/messages", "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/v1", "/v1/messages/batches?limit=20", "https://api.anthropic.com/v1/messages/batches?limit=20"),
        ("http://127.0.0.1:9", "/v1/messages/count_tokens", "http://127.0.0.1:9/v1/messages/count_tokens"),
        ("https://gateway.example/anthropic/v1/", "/v1/models", "https://gateway.example/anthropic/v1/models"),
    ])
    func anthropicJoinsTheBaseWithoutV1AndThePath(_ base: String, _ path: String, _ url: String) throws {
        let harness = try PassthroughKeys.harness("ProviderAnthropic", ["base_url": .string(base), "api_key_env": "SWITCHYARD_TEST_PT_ANTHROPIC"])
        #expect(try request(harness, "POST", path).url == url)
    }

    /// The client's SDK sends the anthropic-version and anthropic-beta its request is written for.
    @Test func anthropicSendsOnlyItsKeyAndExtraHeadersNotVersionOrBeta() throws {
        let harness = try PassthroughKeys.harness("ProviderAnthropic", [
            "api_key_env": "SWITCHYARD_TEST_PT_ANTHROPIC", "anthropic_version": "2023-06-01", "beta": ["prompt-caching-2024-07-31"],
            "headers": ["X-Proxy-Auth": "p"],
        ])
        let built = try request(harness, "POST", "/v1/messages")
        #expect(built.url == "https://api.anthropic.com/v1/messages")
        #expect(built.headers.map { "\($0.name): \($0.value)" } == ["x-api-key: sk-ant-provider", "X-Proxy-Auth: p"])
        #expect(!built.headers.contains { $0.name.lowercased() == "anthropic-version" } && !built.headers.contains { $0.name.lowercased() == "anthropic-beta" })
    }

    @Test(arguments: [
        ("https://generativelanguage.googleapis.com/v1beta", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
         "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"),
        ("https://generativelanguage.googleapis.com/v1beta", "/v1/models?pageSize=5", "https://generativelanguage.googleapis.com/v1/models?pageSize=5"),
        ("https://generativelanguage.googleapis.com/v1", "/v1beta/cachedContents", "https://generativelanguage.googleapis.com/v1beta/cachedContents"),
        ("http://127.0.0.1:9/v1alpha", "/v1beta/models/m:countTokens", "http://127.0.0.1:9/v1beta/models/m:countTokens"),
        ("http://127.0.0.1:9", "/upload/v1beta/files?uploadType=resumable", "http://127.0.0.1:9/upload/v1beta/files?uploadType=resumable"),
    ])
    func geminiJoinsTheBaseWithoutItsVersionAndThePath(_ base: String, _ path: String, _ url: String) throws {
        let harness = try PassthroughKeys.harness("ProviderGemini", ["base_url": .string(base), "api_key_env": "SWITCHYARD_TEST_PT_GEMINI"])
        let built = try request(harness, "POST", path)
        #expect(built.url == url)
        #expect(built.headers.map { "\($0.name): \($0.value)" } == ["x-goog-api-key: AIza-provider"])
    }

    /// `?key=` is how a Gemini client may pass its own key: dropped, whatever its spelling; the
    /// other parameters stay as written and in order.
    @Test(arguments: [
        ("/v1beta/models?key=client-key", "/v1beta/models"),
        ("/v1beta/models?pageSize=5&key=client-key&pageToken=a%26b", "/v1beta/models?pageSize=5&pageToken=a%26b"),
        ("/v1beta/models?k%65y=client-key&key&keys=1&monkey=2", "/v1beta/models?keys=1&monkey=2"),
        ("/v1beta/models:streamGenerateContent?alt=sse&&x=", "/v1beta/models:streamGenerateContent?alt=sse&&x="),
    ])
    func geminiDropsAClientsKeyFromTheQuery(_ path: String, _ forwarded: String) throws {
        let harness = try PassthroughKeys.harness("ProviderGemini", ["base_url": "http://127.0.0.1:9/v1beta", "api_key_env": "SWITCHYARD_TEST_PT_GEMINI"])
        #expect(try request(harness, "GET", path).url == "http://127.0.0.1:9" + forwarded)
    }

    /// OpenAI and Anthropic know no key parameter: their queries go as written.
    @Test func otherProvidersKeepAKeyParameter() throws {
        let harness = try PassthroughKeys.harness("ProviderOpenAI", ["base_url": "http://127.0.0.1:9/v1", "api_key_env": nil])
        #expect(try request(harness, "GET", "/v1/models?key=x").url == "http://127.0.0.1:9/v1/models?key=x")
    }

    /// Refused with 400 by every provider: a dot segment (the HTTP client would resolve it, so the
    /// upstream would see a path the gateway's allow and deny lists never saw), a fragment, and
    /// bytes a request target cannot carry.
    @Test(arguments: ["ProviderOpenAI", "ProviderAnthropic", "ProviderGemini"])
    func pathsThatWouldNotReachTheUpstreamAsWrittenAreRefused(_ product: String) throws {
        let harness = try PassthroughKeys.harness(product, ["base_url": "http://127.0.0.1:9/v1", "api_key_env": nil])
        for path in ["/v1/../admin", "/v1/chat/..", "/v1/./models", "/v1/%2e%2E/x", "/v1/.%2e?x=1", "/v1/a b", "/v1/a#b", "/v1/\u{7F}", "/v1/é"] {
            let failure = try refusal(harness, path)
            #expect(failure?.status == SY_E_INVALID && failure?.httpStatus == 400, "\(product) \(path)")
        }
        // Dots that are not whole segments, and dots in the query, are the client's to send.
        for path in ["/v1/.well-known/x", "/v1/a..b/...", "/v1/files?name=../x"] {
            #expect(try request(harness, "GET", path).url == "http://127.0.0.1:9" + path, "\(product) \(path)")
        }
    }

    @Test func echoHasNoUpstreamAndTakesNoPassthrough() throws {
        let echo = try ProviderHarness(product: "ProviderEcho")
        #expect(!echo.provider.takesPassthrough)
        #expect(echo.passthrough("POST", "/v1/chat/completions") == nil)
    }
}
