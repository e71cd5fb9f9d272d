import SwitchyardPluginSDK

/// The instance's configuration, parsed once at instance creation and immutable afterwards.
struct AnthropicConfig: Sendable {
    static let knownKeys = ["base_url", "api_key_env", "anthropic_version", "beta", "default_max_tokens", "headers"]

    /// baseURL + "/messages", built once.
    let messagesURL: String
    /// baseURL + "/messages/count_tokens", built once.
    let countTokensURL: String
    /// `max_tokens` when the canonical request names no limit (Anthropic requires one).
    let defaultMaxTokens: Int
    /// Headers sent on every upstream request: auth, version, betas, then the extra ones.
    let headers: [(name: String, value: String)]

    init(_ config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where !Self.knownKeys.contains(key) {
            throw .config("unknown config key \"\(key)\" (known: \(Self.knownKeys.joined(separator: ", ")))")
        }
        var base = try Self.string(object, "base_url") ?? "https://api.anthropic.com/v1"
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw .config("base_url must start with http:// or https:// (got \"\(base)\")")
        }
        messagesURL = base + "/messages"
        countTokensURL = base + "/messages/count_tokens"

        if let value = object["default_max_tokens"] {
            guard let limit = value.intValue, limit > 0 else { throw .config("default_max_tokens must be a positive integer") }
            defaultMaxTokens = limit
        } else {
            defaultMaxTokens = 4096
        }

        var headers: [(name: String, value: String)] = []
        let keyVariable: String?
        if let value = object["api_key_env"], value.isNull {
            keyVariable = nil
        } else {
            keyVariable = try Self.string(object, "api_key_env") ?? "ANTHROPIC_API_KEY"
        }
        if let keyVariable, !keyVariable.isEmpty {
            guard let key = host.secret(keyVariable), !key.isEmpty else {
                throw .config("environment variable \(keyVariable) (api_key_env) is not set; set it, or set api_key_env: null for an upstream without keys")
            }
            headers.append(("x-api-key", key))
        }
        headers.append(("anthropic-version", try Self.string(object, "anthropic_version") ?? "2023-06-01"))
        if let beta = object["beta"] {
            guard let flags = beta.arrayValue?.compactMap(\.stringValue), flags.count == beta.arrayValue?.count else {
                throw .config("beta must be a list of strings (anthropic-beta flags)")
            }
            if !flags.isEmpty { headers.append(("anthropic-beta", flags.joined(separator: ","))) }
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

    private static func string(_ object: JSONObject, _ key: String) throws(PluginError) -> String? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else { throw .config("\(key) must be a string") }
        return text
    }
}
