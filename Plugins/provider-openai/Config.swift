import SwitchyardPluginSDK

/// The instance's configuration, parsed once at instance creation and immutable afterwards.
struct OpenAIConfig: Sendable {
    static let knownKeys = ["base_url", "api_key_env", "organization", "project", "headers"]

    /// Base URL without a trailing slash, e.g. "https://api.openai.com/v1".
    let baseURL: String
    /// baseURL + "/chat/completions", built once.
    let chatCompletionsURL: String
    /// Headers sent on every upstream request (auth first).
    let headers: [(name: String, value: String)]

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where !Self.knownKeys.contains(key) {
            throw .config("unknown config key \"\(key)\" (known: \(Self.knownKeys.joined(separator: ", ")))")
        }
        var base = try Self.string(object, "base_url") ?? "https://api.openai.com/v1"
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw .config("base_url must start with http:// or https:// (got \"\(base)\")")
        }
        baseURL = base
        chatCompletionsURL = base + "/chat/completions"

        var headers: [(name: String, value: String)] = []
        let keyVariable: String?
        if let value = object["api_key_env"], value.isNull {
            keyVariable = nil
        } else {
            keyVariable = try Self.string(object, "api_key_env") ?? "OPENAI_API_KEY"
        }
        if let keyVariable, !keyVariable.isEmpty {
            guard let key = host.secret(keyVariable), !key.isEmpty else {
                throw .config("environment variable \(keyVariable) (api_key_env) is not set; set it, or set api_key_env: null for an upstream without keys")
            }
            headers.append(("Authorization", "Bearer " + key))
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

    private static func string(_ object: JSONObject, _ key: String) throws(PluginError) -> String? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else { throw .config("\(key) must be a string") }
        return text
    }
}
