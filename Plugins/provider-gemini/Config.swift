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

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where !Self.knownKeys.contains(key) {
            throw .config("unknown config key \"\(key)\" (known: \(Self.knownKeys.joined(separator: ", ")))")
        }
        var base = try Self.string(object, "base_url") ?? "https://generativelanguage.googleapis.com/v1beta"
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw .config("base_url must start with http:// or https:// (got \"\(base)\")")
        }
        baseURL = base

        var headers: [(name: String, value: String)] = []
        let keyVariable: String?
        if let value = object["api_key_env"], value.isNull {
            keyVariable = nil
        } else {
            keyVariable = try Self.string(object, "api_key_env") ?? "GEMINI_API_KEY"
        }
        if let keyVariable, !keyVariable.isEmpty {
            guard let key = host.secret(keyVariable), !key.isEmpty else {
                throw .config("environment variable \(keyVariable) (api_key_env) is not set; set it, or set api_key_env: null for an upstream without keys")
            }
            headers.append(("x-goog-api-key", key))
        }
        if let extra = object["headers"] {
            guard let extra = extra.objectValue else { throw .config("headers must be a map of header name to string value") }
            for (name, value) in extra {
                guard let text = value.stringValue else { throw .config("headers.\(name) must be a string") }
                headers.append((name, text))
            }
        }
        self.headers = headers
    }

    /// `{base}/models/{model}:{method}`; the model name is used as given, so "gemini-2.5-flash"
    /// and tuned-model names both work (a leading "models/" is not doubled).
    func url(model: String, method: String) -> String {
        let name = model.hasPrefix("models/") ? String(model.dropFirst("models/".count)) : model
        return baseURL + "/models/" + name + ":" + method
    }

    private static func string(_ object: JSONObject, _ key: String) throws(PluginError) -> String? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else { throw .config("\(key) must be a string") }
        return text
    }
}
