import SwitchyardJSON

/// The canonical usage object (docs/canonical.md, "Usage"), with absent counts read as 0.
/// `promptTokens` includes cache reads and writes; `completionTokens` includes reasoning.
struct CanonicalUsage: Equatable, Sendable {
    var promptTokens = 0
    var completionTokens = 0
    var totalTokens = 0
    var cachedTokens = 0
    var cacheCreationTokens = 0
    var reasoningTokens = 0

    init() {}

    /// Reads a `usage` object; nil when the value is absent, null or not an object.
    init?(_ value: JSONValue?) {
        guard let value, value.objectValue != nil else { return nil }
        promptTokens = Self.count(value["prompt_tokens"])
        completionTokens = Self.count(value["completion_tokens"])
        totalTokens = value["total_tokens"]?.intValue ?? promptTokens + completionTokens
        cachedTokens = Self.count(value["prompt_tokens_details"]?["cached_tokens"])
        cacheCreationTokens = Self.count(value["prompt_tokens_details"]?["cache_creation_tokens"])
        reasoningTokens = Self.count(value["completion_tokens_details"]?["reasoning_tokens"])
    }

    /// Input tokens that were neither read from nor written to a cache: Anthropic's
    /// `input_tokens` counts these only. Never negative, whatever a provider reports.
    var uncachedPromptTokens: Int { max(0, promptTokens - cachedTokens - cacheCreationTokens) }

    private static func count(_ value: JSONValue?) -> Int { max(0, value?.intValue ?? 0) }
}
