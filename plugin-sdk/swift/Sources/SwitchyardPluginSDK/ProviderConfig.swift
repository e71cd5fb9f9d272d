/// A provider instance's `config:` object, read with the conventions every provider shares:
/// unknown keys are refused (a typo must not silently fall back to a default), `base_url` is an
/// http(s) URL without a trailing slash, `api_key_env` names an environment variable read
/// through the host (null or "" for keyless upstreams), and `headers` adds fields to every
/// upstream request. Errors are `PluginError.config` with the key named.
public struct ProviderConfig {
    public let object: JSONObject

    public init(_ config: JSONValue, knownKeys: [String]) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where !knownKeys.contains(key) {
            throw .config("unknown config key \"\(key)\" (known: \(knownKeys.joined(separator: ", ")))")
        }
        self.object = object
    }

    public func string(_ key: String) throws(PluginError) -> String? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else { throw .config("\(key) must be a string") }
        return text
    }

    public func bool(_ key: String, default fallback: Bool) throws(PluginError) -> Bool {
        guard let value = object[key] else { return fallback }
        guard let flag = value.boolValue else { throw .config("\(key) must be true or false") }
        return flag
    }

    public func positiveInt(_ key: String, default fallback: Int) throws(PluginError) -> Int {
        guard let value = object[key] else { return fallback }
        guard let number = value.intValue, number > 0 else { throw .config("\(key) must be a positive integer") }
        return number
    }

    /// `base_url` (or `fallback`), trailing slashes removed, required to be http(s).
    public func baseURL(default fallback: String) throws(PluginError) -> String {
        var base = try string("base_url") ?? fallback
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw .config("base_url must start with http:// or https:// (got \"\(base)\")")
        }
        return base
    }

    /// The API key from the variable `api_key_env` names (`defaultVariable` when absent); nil
    /// when the config says the upstream needs none. A named variable that is unset is an error.
    public func apiKey(defaultVariable: String, host: PluginHost) throws(PluginError) -> String? {
        if let value = object["api_key_env"], value.isNull { return nil }
        let variable = try string("api_key_env") ?? defaultVariable
        guard !variable.isEmpty else { return nil }
        guard let key = host.secret(variable), !key.isEmpty else {
            throw .config("environment variable \(variable) (api_key_env) is not set; set it, or set api_key_env: null for an upstream without keys")
        }
        return key
    }

    /// The `headers` map, in config order.
    public func extraHeaders() throws(PluginError) -> [(name: String, value: String)] {
        guard let extra = object["headers"] else { return [] }
        guard let map = extra.objectValue else { throw .config("headers must be a map of header name to string value") }
        var headers: [(name: String, value: String)] = []
        for (name, value) in map {
            guard let text = value.stringValue else { throw .config("headers.\(name) must be a string") }
            headers.append((name, text))
        }
        return headers
    }
}
