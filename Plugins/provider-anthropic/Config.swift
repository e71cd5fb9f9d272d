import SwitchyardPluginSDK

/// The instance's configuration, parsed once at instance creation and immutable afterwards.
struct AnthropicConfig: Sendable {
    static let knownKeys = ["base_url", "api_key_env", "anthropic_version", "beta", "default_max_tokens", "headers"]

    /// baseURL + "/messages", built once.
    let messagesURL: String
    /// baseURL + "/messages/count_tokens", built once.
    let countTokensURL: String
    /// baseURL + "/messages/batches", built once: the Message Batches API (a batch is `/{id}` below it).
    let batchesURL: String
    /// `max_tokens` when the canonical request names no limit (Anthropic requires one).
    let defaultMaxTokens: Int
    /// Headers sent on every upstream request: auth, version, betas, then the extra ones.
    let headers: [(name: String, value: String)]
    /// Passthrough: the base URL without its trailing `/v1`, joined with the client's path.
    let passthroughURL: PassthroughURL
    /// Headers of a passthrough request: auth and the extra ones. Not `anthropic-version` nor
    /// `anthropic-beta`: the client's SDK sends the ones its request is written for.
    let passthroughHeaders: [(name: String, value: String)]

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        let config = try ProviderConfig(config, knownKeys: Self.knownKeys)
        let base = try config.baseURL(default: "https://api.anthropic.com/v1")
        messagesURL = base + "/messages"
        countTokensURL = base + "/messages/count_tokens"
        batchesURL = base + "/messages/batches"
        passthroughURL = PassthroughURL(base: base, versions: ["v1"])
        defaultMaxTokens = try config.positiveInt("default_max_tokens", default: 4096)

        var headers: [(name: String, value: String)] = []
        if let key = try config.apiKey(defaultVariable: "ANTHROPIC_API_KEY", host: host) { headers.append(("x-api-key", key)) }
        let auth = headers
        headers.append(("anthropic-version", try config.string("anthropic_version") ?? "2023-06-01"))
        if let beta = config.object["beta"] {
            guard let flags = beta.arrayValue?.compactMap(\.stringValue), flags.count == beta.arrayValue?.count else {
                throw .config("beta must be a list of strings (anthropic-beta flags)")
            }
            if !flags.isEmpty { headers.append(("anthropic-beta", flags.joined(separator: ","))) }
        }
        let extra = try config.extraHeaders()
        self.headers = headers + extra
        passthroughHeaders = auth + extra
    }
}
