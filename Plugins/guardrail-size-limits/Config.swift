import SwitchyardPluginSDK

/// The instance's limits, parsed once by `init` and immutable afterwards; nil = no limit.
struct SizeLimitsConfig: Sendable {
    static let knownKeys = ["max_input_characters", "max_input_tokens", "max_messages", "max_output_tokens"]

    let maxInputCharacters: Int?
    let maxInputTokens: Int?
    let maxMessages: Int?
    let maxOutputTokens: Int?

    init(_ config: JSONValue) throws(PluginError) {
        let config = try ProviderConfig(config, knownKeys: Self.knownKeys)
        func limit(_ key: String) throws(PluginError) -> Int? {
            guard config.object[key] != nil else { return nil }
            return try config.positiveInt(key, default: 0)
        }
        maxInputCharacters = try limit("max_input_characters")
        maxInputTokens = try limit("max_input_tokens")
        maxMessages = try limit("max_messages")
        maxOutputTokens = try limit("max_output_tokens")
        guard maxInputCharacters != nil || maxInputTokens != nil || maxMessages != nil || maxOutputTokens != nil else {
            throw .config("set at least one of \(Self.knownKeys.joined(separator: ", "))")
        }
    }
}
