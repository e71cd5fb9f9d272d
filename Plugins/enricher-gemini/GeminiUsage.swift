import SwitchyardPluginSDK

/// Gemini `usageMetadata` → canonical usage, exactly as the gemini provider plugin maps it
/// (Plugins/provider-gemini/Usage.swift):
///
/// - prompt_tokens = promptTokenCount (cached content included) + toolUsePromptTokenCount;
/// - completion_tokens = candidatesTokenCount + thoughtsTokenCount (Gemini counts thoughts
///   apart from the candidates; the canonical count includes reasoning);
/// - cached_tokens = cachedContentTokenCount, reasoning_tokens = thoughtsTokenCount.
struct GeminiUsage: Equatable {
    var prompt = 0
    var toolUsePrompt = 0
    var candidates = 0
    var thoughts = 0
    var cached = 0

    /// The counts of one `usageMetadata`; the provider keeps the latest whole, so does this.
    init?(_ metadata: UnsafeRawBufferPointer) {
        var usage = GeminiUsage()
        let valid = RawJSON.forEachMember(metadata) { key, value in
            guard let count = RawJSON.integer(value) else { return }
            if RawJSON.key(key, is: "promptTokenCount") {
                usage.prompt = count
            } else if RawJSON.key(key, is: "toolUsePromptTokenCount") {
                usage.toolUsePrompt = count
            } else if RawJSON.key(key, is: "candidatesTokenCount") {
                usage.candidates = count
            } else if RawJSON.key(key, is: "thoughtsTokenCount") {
                usage.thoughts = count
            } else if RawJSON.key(key, is: "cachedContentTokenCount") {
                usage.cached = count
            }
        }
        guard valid else { return nil }
        self = usage
    }

    private init() {}

    var canonical: TokenUsage {
        TokenUsage(prompt: prompt + toolUsePrompt, completion: candidates + thoughts, cached: cached, reasoning: thoughts)
    }

    /// Gemini's embedding answers carry no counts: 0/0, as the provider reports them.
    static let embeddings = TokenUsage(prompt: 0, completion: nil)
    /// Counting is free at Gemini: zero, as the provider reports it.
    static let countTokens = TokenUsage(prompt: 0, completion: 0)
}
