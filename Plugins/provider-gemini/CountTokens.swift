import SwitchyardPluginSDK

/// `count_tokens`: the canonical chat body, translated as for generation, goes to
/// `:countTokens` as a `generateContentRequest` (so system instruction and tool declarations
/// count too); Gemini's `totalTokens` comes back as `{"input_tokens": N}`.
enum CountTokens {
    static func write(_ response: JSONValue, _ out: Sink) throws(PluginError) {
        guard let total = response["totalTokens"]?.intValue ?? (response.objectValue?.count == 0 ? 0 : nil) else {
            throw PluginError(SY_E_UPSTREAM, "gemini sent a countTokens response without totalTokens", httpStatus: 502)
        }
        let answer: JSONValue = ["input_tokens": .number(total)]
        out.json(answer.serialized())
        // Counting is free at Gemini: nothing to meter.
        Usage.emit(["prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0], out)
    }
}
