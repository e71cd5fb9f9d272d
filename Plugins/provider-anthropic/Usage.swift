import SwitchyardPluginSDK

/// Anthropic token counts, normalized per docs/canonical.md. Anthropic's `input_tokens` leaves
/// out cache reads and cache writes; the canonical `prompt_tokens` includes both. Anthropic does
/// not report thinking tokens apart from output tokens, so `reasoning_tokens` is not written.
struct AnthropicUsage: Equatable {
    var input = 0
    var output = 0
    var cacheRead = 0
    var cacheCreation = 0

    /// Takes the counts an Anthropic `usage` object carries. A stream's message_delta repeats
    /// them cumulatively, so a later value replaces an earlier one; absent fields keep theirs.
    mutating func update(_ usage: RawObject) {
        if let value = usage.int("input_tokens") { input = value }
        if let value = usage.int("output_tokens") { output = value }
        if let value = usage.int("cache_read_input_tokens") { cacheRead = value }
        if let value = usage.int("cache_creation_input_tokens") { cacheCreation = value }
    }

    mutating func update(_ usage: JSONValue) {
        if let value = usage["input_tokens"]?.intValue { input = value }
        if let value = usage["output_tokens"]?.intValue { output = value }
        if let value = usage["cache_read_input_tokens"]?.intValue { cacheRead = value }
        if let value = usage["cache_creation_input_tokens"]?.intValue { cacheCreation = value }
    }

    var promptTokens: Int { input + cacheRead + cacheCreation }

    /// The canonical `usage` object.
    func write(_ json: inout JSONWriter) {
        json.raw(#"{"prompt_tokens":"#)
        json.number(promptTokens)
        json.raw(#","completion_tokens":"#)
        json.number(output)
        json.raw(#","total_tokens":"#)
        json.number(promptTokens + output)
        json.raw(#","prompt_tokens_details":{"cached_tokens":"#)
        json.number(cacheRead)
        json.raw(#","cache_creation_tokens":"#)
        json.number(cacheCreation)
        json.raw("}}")
    }

    /// `{"usage":{...}}` for SY_OUT_META_JSON.
    var meta: [UInt8] {
        var json = JSONWriter(capacity: 160)
        json.raw(#"{"usage":"#)
        write(&json)
        json.raw("}")
        return json.bytes
    }
}
