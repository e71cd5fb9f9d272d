import SwitchyardJSON

/// Canonical `chat.completion` → Anthropic `message` object.
enum MessageRendering {
    static func message(_ completion: CanonicalCompletion, model: String?) throws(TranslationError) -> JSONValue {
        var content: [JSONValue] = []
        if completion.hasReasoning {
            content.append(["type": "thinking", "thinking": .string(completion.reasoning ?? ""), "signature": .string(completion.reasoningSignature ?? "")])
        }
        if let text = completion.content, !text.isEmpty { content.append(["type": "text", "text": .string(text)]) }
        // Anthropic has no refusal block; the refusal's text is what the model said, and
        // stop_reason "refusal" (from content_filter) carries the rest.
        if let refusal = completion.refusal, !refusal.isEmpty { content.append(["type": "text", "text": .string(refusal)]) }
        for call in completion.toolCalls {
            content.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": try toolInput(call)])
        }
        return [
            "id": .string(messageID(completion.id)), "type": "message", "role": "assistant",
            "model": .string(model ?? completion.model), "content": .array(content),
            "stop_reason": .string(stopReason(completion.finishReason)), "stop_sequence": .null,
            "usage": usage(completion.usage ?? CanonicalUsage()),
        ]
    }

    static func messageID(_ canonicalID: String) -> String { "msg_" + DerivedID.stem(canonicalID) }

    /// finish_reason → stop_reason. `stop` cannot tell a natural end from a stop sequence (the
    /// canonical response does not say which sequence matched), so it is always `end_turn` with
    /// `stop_sequence: null`. Unknown or missing reasons also read as `end_turn`.
    static func stopReason(_ finishReason: String?) -> String {
        switch finishReason {
        case "length": "max_tokens"
        case "tool_calls", "function_call": "tool_use"
        case "content_filter": "refusal"
        default: "end_turn"
        }
    }

    static func usage(_ usage: CanonicalUsage) -> JSONValue {
        [
            "input_tokens": .number(usage.uncachedPromptTokens),
            "cache_creation_input_tokens": .number(usage.cacheCreationTokens),
            "cache_read_input_tokens": .number(usage.cachedTokens),
            "output_tokens": .number(usage.completionTokens),
        ]
    }

    /// The arguments as the `input` object. Empty arguments are `{}`; arguments that are not a
    /// JSON object make the response a 502: an Anthropic client expects `input` to be an object
    /// and would fail on anything else, later and less clearly.
    static func toolInput(_ call: CanonicalToolCall) throws(TranslationError) -> JSONValue {
        if call.arguments.allSatisfy({ $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }) { return .object(JSONObject()) }
        guard let input = try? JSONValue.parse(call.arguments), input.objectValue != nil else {
            throw .upstream("provider returned arguments for tool call \(call.id) (\(call.name)) that are not a JSON object")
        }
        return input
    }
}
