import SwitchyardPluginSDK

/// Anthropic token counts, normalized exactly as the anthropic provider plugin does
/// (Plugins/provider-anthropic/Usage.swift), so passthrough and translated traffic meter alike:
/// Anthropic's `input_tokens` leaves out cache reads and writes, the canonical `prompt_tokens`
/// includes both; thinking is inside `output_tokens` and not reported apart, so no
/// `reasoning_tokens`.
struct AnthropicUsage: Equatable {
    var input = 0
    var output = 0
    var cacheRead = 0
    var cacheCreation = 0

    /// Takes the counts a `usage` object carries. A stream's message_delta repeats them
    /// cumulatively, so a later value replaces an earlier one; absent fields keep theirs.
    mutating func update(_ usage: UnsafeRawBufferPointer) {
        RawJSON.forEachMember(usage) { key, value in
            guard let count = RawJSON.integer(value) else { return }
            if RawJSON.key(key, is: "input_tokens") {
                input = count
            } else if RawJSON.key(key, is: "output_tokens") {
                output = count
            } else if RawJSON.key(key, is: "cache_read_input_tokens") {
                cacheRead = count
            } else if RawJSON.key(key, is: "cache_creation_input_tokens") {
                cacheCreation = count
            }
        }
    }

    var canonical: TokenUsage {
        TokenUsage(prompt: input + cacheRead + cacheCreation, completion: output, cached: cacheRead, cacheCreation: cacheCreation)
    }
}
