import SwitchyardPluginSDK

/// The instance's configuration, parsed once at instance creation and immutable afterwards.
struct GeminiConfig: Sendable {
    static let knownKeys = ["base_url", "api_key_env", "headers"]

    /// Base URL without a trailing slash, up to the API version, e.g.
    /// "https://generativelanguage.googleapis.com/v1beta".
    let baseURL: String
    /// Headers sent on every upstream request (the key first). The key travels in
    /// `x-goog-api-key`, never in the URL, so it cannot leak into access logs.
    let headers: [(name: String, value: String)]
    /// Passthrough: the base URL without its trailing API version (`/v1beta`, `/v1`, `/v1alpha`),
    /// joined with the client's path, which names its own; the query without `key`.
    let passthroughURL: PassthroughURL

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        let config = try ProviderConfig(config, knownKeys: Self.knownKeys)
        baseURL = try config.baseURL(default: "https://generativelanguage.googleapis.com/v1beta")
        // A client's `?key=` is a credential: the upstream gets this instance's key instead.
        passthroughURL = PassthroughURL(base: baseURL, versions: ["v1beta", "v1", "v1alpha"], credentialParameters: ["key", "access_token"])
        var headers: [(name: String, value: String)] = []
        if let key = try config.apiKey(defaultVariable: "GEMINI_API_KEY", host: host) { headers.append(("x-goog-api-key", key)) }
        self.headers = headers + (try config.extraHeaders())
    }

    /// `{base}/models/{model}:{method}`; the model name is used as given, so "gemini-2.5-flash"
    /// and tuned-model names both work (a leading "models/" is not doubled).
    func url(model: String, method: String) -> String {
        let name = model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
        return baseURL + "/models/" + name + ":" + method
    }
}
