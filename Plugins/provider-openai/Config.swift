import SwitchyardPluginSDK

/// The instance's configuration, parsed once at instance creation and immutable afterwards.
struct OpenAIConfig: Sendable {
    static let knownKeys = ["base_url", "api_key_env", "organization", "project", "headers", "flavor", "api_version", "stream_usage"]

    enum Flavor: String, Sendable {
        /// OpenAI and every OpenAI-compatible server: `{base}/chat/completions`, Bearer key.
        case openai
        /// Azure OpenAI: deployment URLs with `api-version`, `api-key` header; the upstream model
        /// name is the deployment name.
        case azure
    }

    let flavor: Flavor
    /// Base URL without a trailing slash, e.g. "https://api.openai.com/v1", or for Azure the
    /// resource endpoint "https://NAME.openai.azure.com".
    let baseURL: String
    let apiVersion: String
    /// Ask streaming upstreams for usage (`stream_options.include_usage`) even when the client
    /// did not, so every stream is metered; off for servers that reject the field.
    let streamUsage: Bool
    /// Headers sent on every upstream request (auth first).
    let headers: [(name: String, value: String)]
    /// `{base}/chat/completions`, built once (OpenAI flavor).
    private let chatCompletionsURL: String
    /// Passthrough: the base URL without its trailing `/v1`, joined with the client's path.
    let passthroughURL: PassthroughURL

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        let config = try ProviderConfig(config, knownKeys: Self.knownKeys)
        let flavorName = try config.string("flavor") ?? "openai"
        guard let flavor = Flavor(rawValue: flavorName) else { throw .config("flavor must be \"openai\" or \"azure\" (got \"\(flavorName)\")") }
        self.flavor = flavor
        baseURL = try config.baseURL(default: flavor == .openai ? "https://api.openai.com/v1" : "")
        chatCompletionsURL = baseURL + "/chat/completions"
        passthroughURL = PassthroughURL(base: baseURL, versions: ["v1"])
        apiVersion = try config.string("api_version") ?? "2024-10-21"
        streamUsage = try config.bool("stream_usage", default: true)

        var headers: [(name: String, value: String)] = []
        if let key = try config.apiKey(defaultVariable: flavor == .openai ? "OPENAI_API_KEY" : "AZURE_OPENAI_API_KEY", host: host) {
            headers.append(flavor == .openai ? ("Authorization", "Bearer " + key) : ("api-key", key))
        }
        if let organization = try config.string("organization") { headers.append(("OpenAI-Organization", organization)) }
        if let project = try config.string("project") { headers.append(("OpenAI-Project", project)) }
        self.headers = headers + (try config.extraHeaders())
    }

    /// The upstream URL for an operation. Azure addresses chat and embeddings by deployment
    /// (the upstream model name) and the Responses API through its v1 surface.
    func url(_ operation: UInt32, model: String) throws(PluginError) -> String {
        switch (flavor, operation) {
        case (.openai, SY_OP_CHAT_COMPLETIONS): return chatCompletionsURL
        case (.openai, SY_OP_EMBEDDINGS): return baseURL + "/embeddings"
        case (.openai, SY_OP_RESPONSES): return baseURL + "/responses"
        case (.azure, SY_OP_RESPONSES): return baseURL + "/openai/v1/responses"
        case (.azure, SY_OP_CHAT_COMPLETIONS), (.azure, SY_OP_EMBEDDINGS):
            guard !model.isEmpty, model.utf8.allSatisfy(Self.isDeploymentByte) else {
                throw .invalid("\"\(model)\" is not an Azure deployment name")
            }
            let path = operation == SY_OP_EMBEDDINGS ? "embeddings" : "chat/completions"
            return "\(baseURL)/openai/deployments/\(model)/\(path)?api-version=\(apiVersion)"
        default:
            throw .unsupported("the openai provider serves chat completions, embeddings and responses (operation \(operation))")
        }
    }

    /// Deployment names go into the URL path: letters, digits, '-', '_', '.'.
    private static func isDeploymentByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }
}
