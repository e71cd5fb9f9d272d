import SwitchyardPluginSDK

/// The canonical request fields this provider knows, and the check that turns away what the
/// Messages API cannot honour (docs/canonical.md: rejected with a 400 naming the field, never
/// silently dropped). The README's translation table explains each entry.
enum CanonicalFields {
    /// Translated to an Anthropic field by ChatRequestTranslation.
    static let mapped: Set<String> = [
        "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "stop",
        "tools", "tool_choice", "parallel_tool_calls", "reasoning_effort", "user", "safety_identifier",
        "stream", "stream_options",
    ]

    /// Accepted with no effect: they steer OpenAI-side storage or caching, which changes nothing
    /// an Anthropic answer contains.
    static let ignored: Set<String> = ["store", "metadata", "prompt_cache_key"]

    /// Throws for the first field the Messages API cannot honour, or that this provider does not
    /// know (an unknown field might change the answer, so it is not dropped either).
    static func rejectUnsupported(_ request: JSONObject) throws(PluginError) {
        for (field, value) in request where !value.isNull {
            if mapped.contains(field) || ignored.contains(field) { continue }
            switch field {
            case "n":
                guard let count = value.intValue else { throw .invalid("n must be an integer") }
                if count > 1 { throw unsupported("n=\(count)", "Anthropic returns one choice per request") }
            case "logprobs":
                if value.boolValue == true { throw unsupported("logprobs", "Anthropic does not return token log probabilities") }
            case "top_logprobs":
                if (value.intValue ?? 1) > 0 { throw unsupported("top_logprobs", "Anthropic does not return token log probabilities") }
            case "logit_bias":
                if value.objectValue?.count != 0 { throw unsupported("logit_bias", "Anthropic has no token biasing") }
            case "presence_penalty", "frequency_penalty":
                if value.doubleValue != 0 { throw unsupported(field, "Anthropic has no repetition penalties") }
            case "seed":
                throw unsupported("seed", "Anthropic sampling cannot be seeded")
            case "audio":
                throw unsupported("audio", "Anthropic answers in text only")
            case "modalities":
                let kinds = value.arrayValue?.map { $0.stringValue ?? "?" } ?? ["?"]
                if let other = kinds.first(where: { $0 != "text" }) {
                    throw unsupported("modalities \"\(other)\"", "Anthropic answers in text only")
                }
            case "response_format":
                let kind = value["type"]?.stringValue ?? "?"
                if kind != "text" {
                    throw unsupported("response_format \(kind)", "Anthropic has no JSON mode on the Messages API; use a tool with input_schema instead")
                }
            case "service_tier":
                let tier = value.stringValue ?? "?"
                if tier != "auto" && tier != "default" { throw unsupported("service_tier \(tier)", "Anthropic has no such tier") }
            case "prediction":
                throw unsupported("prediction", "Anthropic has no predicted outputs")
            case "web_search_options":
                throw unsupported("web_search_options", "use the native /v1/messages route for Anthropic's server tools")
            case "functions", "function_call":
                throw unsupported(field, "the legacy function-calling fields are not translated; use tools and tool_choice")
            case "verbosity":
                throw unsupported("verbosity", "Anthropic has no verbosity control")
            default:
                throw unsupported(field, "unknown field")
            }
        }
    }
}

/// A 400 whose message names the field and the provider.
func unsupported(_ field: String, _ why: String) -> PluginError {
    .unsupported("\(field) is not supported by the anthropic provider (\(why))")
}
