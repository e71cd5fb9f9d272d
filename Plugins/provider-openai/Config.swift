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

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where !Self.knownKeys.contains(key) {
            throw .config("unknown config key \"\(key)\" (known: \(Self.knownKeys.joined(separator: ", ")))")
        }
        let flavorName = try Self.string(object, "flavor") ?? "openai"
        guard let flavor = Flavor(rawValue: flavorName) else { throw .config("flavor must be \"openai\" or \"azure\" (got \"\(flavorName)\")") }
        self.flavor = flavor
        var base = try Self.string(object, "base_url") ?? (flavor == .openai ? "https://api.openai.com/v1" : "")
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw .config("base_url must start with http:// or https:// (got \"\(base)\")")
        }
        baseURL = base
        chatCompletionsURL = base + "/chat/completions"
        apiVersion = try Self.string(object, "api_version") ?? "2024-10-21"
        if let value = object["stream_usage"] {
            guard let flag = value.boolValue else { throw .config("stream_usage must be true or false") }
            streamUsage = flag
        } else {
            streamUsage = true
        }

        var headers: [(name: String, value: String)] = []
        let keyVariable: String?
        if let value = object["api_key_env"], value.isNull {
            keyVariable = nil
        } else {
            keyVariable = try Self.string(object, "api_key_env") ?? (flavor == .openai ? "OPENAI_API_KEY" : "AZURE_OPENAI_API_KEY")
        }
        if let keyVariable, !keyVariable.isEmpty {
            guard let key = host.secret(keyVariable), !key.isEmpty else {
                throw .config("environment variable \(keyVariable) (api_key_env) is not set; set it, or set api_key_env: null for an upstream without keys")
            }
            headers.append(flavor == .openai ? ("Authorization", "Bearer " + key) : ("api-key", key))
        }
        if let organization = try Self.string(object, "organization") { headers.append(("OpenAI-Organization", organization)) }
        if let project = try Self.string(object, "project") { headers.append(("OpenAI-Project", project)) }
        if let extra = object["headers"] {
            guard let extra = extra.objectValue else { throw .config("headers must be a map of header name to string value") }
            for (name, value) in extra {
                guard let text = value.stringValue else { throw .config("headers.\(name) must be a string") }
                headers.append((name, text))
            }
        }
        self.headers = headers
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

    private static func string(_ object: JSONObject, _ key: String) throws(PluginError) -> String? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else { throw .config("\(key) must be a string") }
        return text
    }
}
