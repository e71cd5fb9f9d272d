import SwitchyardPluginSDK

/// Gemini `usageMetadata` → canonical usage (docs/canonical.md):
///
/// - prompt_tokens = promptTokenCount (already includes cached content) + toolUsePromptTokenCount
///   (tool-use prompts Gemini bills as input), so prompt + completion = totalTokenCount;
/// - completion_tokens = candidatesTokenCount + thoughtsTokenCount (Gemini counts thoughts
///   apart from the candidates; the canonical count includes reasoning);
/// - cached_tokens = cachedContentTokenCount, reasoning_tokens = thoughtsTokenCount.
enum Usage {
    static func canonical(_ metadata: JSONValue?) -> JSONValue {
        func count(_ key: String) -> Int { metadata?[key]?.intValue ?? 0 }
        let prompt = count("promptTokenCount") + count("toolUsePromptTokenCount")
        let thoughts = count("thoughtsTokenCount")
        let completion = count("candidatesTokenCount") + thoughts
        return [
            "prompt_tokens": .number(prompt),
            "completion_tokens": .number(completion),
            "total_tokens": .number(prompt + completion),
            "prompt_tokens_details": ["cached_tokens": .number(count("cachedContentTokenCount"))],
            "completion_tokens_details": ["reasoning_tokens": .number(thoughts)],
        ]
    }

    /// Writes `{"usage":…}` as metadata for the host's metering.
    static func emit(_ usage: JSONValue, _ out: Sink) {
        let meta: JSONValue = ["usage": usage]
        out.meta(meta.serialized())
    }
}
