import SwitchyardPluginSDK

/// OpenAI usage objects → canonical usage (docs/canonical.md), read from the raw bytes.
enum OpenAIUsage {
    /// Chat completions, legacy completions and embeddings already speak the canonical names:
    /// `prompt_tokens`, `completion_tokens` (absent for embeddings), `total_tokens`,
    /// `prompt_tokens_details.cached_tokens`, `completion_tokens_details.reasoning_tokens`.
    /// Details are kept only when the upstream sent them. nil without `prompt_tokens`.
    static func chat(_ usage: UnsafeRawBufferPointer) -> TokenUsage? {
        var prompt: Int?, completion: Int?, total: Int?, cached: Int?, reasoning: Int?
        let valid = RawJSON.forEachMember(usage) { key, value in
            if RawJSON.key(key, is: "prompt_tokens") {
                prompt = RawJSON.integer(value)
            } else if RawJSON.key(key, is: "completion_tokens") {
                completion = RawJSON.integer(value)
            } else if RawJSON.key(key, is: "total_tokens") {
                total = RawJSON.integer(value)
            } else if RawJSON.key(key, is: "prompt_tokens_details"), RawJSON.isObject(value) {
                cached = detail(value, "cached_tokens")
            } else if RawJSON.key(key, is: "completion_tokens_details"), RawJSON.isObject(value) {
                reasoning = detail(value, "reasoning_tokens")
            }
        }
        guard valid, let prompt else { return nil }
        return TokenUsage(prompt: prompt, completion: completion, total: total, cached: cached, reasoning: reasoning)
    }

    /// The Responses API's `usage`, mapped as the openai provider maps it: input → prompt,
    /// output → completion, total = their sum, `input_tokens_details.cached_tokens` and
    /// `output_tokens_details.reasoning_tokens` always written (0 when absent).
    static func responses(_ usage: UnsafeRawBufferPointer) -> TokenUsage? {
        var input = 0, output = 0, cached = 0, reasoning = 0
        let valid = RawJSON.forEachMember(usage) { key, value in
            if RawJSON.key(key, is: "input_tokens") {
                input = RawJSON.integer(value) ?? 0
            } else if RawJSON.key(key, is: "output_tokens") {
                output = RawJSON.integer(value) ?? 0
            } else if RawJSON.key(key, is: "input_tokens_details"), RawJSON.isObject(value) {
                cached = detail(value, "cached_tokens") ?? 0
            } else if RawJSON.key(key, is: "output_tokens_details"), RawJSON.isObject(value) {
                reasoning = detail(value, "reasoning_tokens") ?? 0
            }
        }
        guard valid else { return nil }
        return TokenUsage(prompt: input, completion: output, cached: cached, reasoning: reasoning)
    }

    private static func detail(_ object: UnsafeRawBufferPointer, _ name: StaticString) -> Int? {
        var count: Int?
        RawJSON.forEachMember(object) { key, value in
            if count == nil, RawJSON.key(key, is: name) { count = RawJSON.integer(value) }
        }
        return count
    }
}
