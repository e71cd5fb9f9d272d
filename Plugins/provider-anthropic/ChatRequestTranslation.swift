import SwitchyardPluginSDK

/// A canonical chat completions body → an Anthropic Messages body, for generating an answer or
/// for counting the prompt's tokens (which takes only what shapes the prompt: no limits,
/// sampling, metadata or stream flag).
enum ChatRequestTranslation {
    enum Purpose {
        case generate(stream: Bool, defaultMaxTokens: Int)
        case countTokens
    }

    static func anthropicBody(_ request: JSONValue, for purpose: Purpose) throws(PluginError) -> JSONValue {
        guard let fields = request.objectValue else { throw .invalid("the request body must be a JSON object") }
        try CanonicalFields.rejectUnsupported(fields)
        guard let model = fields["model"]?.stringValue else { throw .invalid("model must be a string") }
        let messages = try MessageTranslation(fields["messages"])
        let tools = try ToolTranslation.tools(fields["tools"])
        let budget = try ThinkingBudget.budget(for: fields["reasoning_effort"])

        var body = JSONObject(["model": .string(model)])
        var thinkingBudget = budget
        if case .generate(_, let defaultMaxTokens) = purpose {
            var clientLimit = try positiveInt(fields, "max_completion_tokens")
            if clientLimit == nil { clientLimit = try positiveInt(fields, "max_tokens") }
            if let budget {
                let limits = try ThinkingBudget.limits(budget: budget, clientLimit: clientLimit, defaultMaxTokens: defaultMaxTokens)
                body["max_tokens"] = .number(limits.maxTokens)
                thinkingBudget = limits.budget
            } else {
                body["max_tokens"] = .number(clientLimit ?? defaultMaxTokens)
            }
        }
        if !messages.system.isEmpty { body["system"] = .array(messages.system) }
        body["messages"] = .array(messages.turns)
        if let tools, !tools.isEmpty {
            body["tools"] = .array(tools)
            // Without tools a choice means nothing (and Anthropic refuses one), so it is only sent with them.
            body["tool_choice"] = try ToolTranslation.toolChoice(fields["tool_choice"], parallelToolCalls: fields["parallel_tool_calls"])
        }
        if let thinkingBudget { body["thinking"] = ["type": "enabled", "budget_tokens": .number(thinkingBudget)] }
        guard case .generate(let stream, _) = purpose else { return .object(body) }

        body["temperature"] = try number(fields, "temperature")
        body["top_p"] = try number(fields, "top_p")
        body["top_k"] = try number(fields, "top_k")
        body["stop_sequences"] = try stopSequences(fields["stop"])
        if let user = fields["safety_identifier"]?.stringValue ?? fields["user"]?.stringValue {
            body["metadata"] = ["user_id": .string(user)]
        }
        if stream { body["stream"] = true }
        return .object(body)
    }

    private static func positiveInt(_ fields: JSONObject, _ key: String) throws(PluginError) -> Int? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard let limit = value.intValue, limit > 0 else { throw .invalid("\(key) must be a positive integer") }
        return limit
    }

    /// A number passed through with its original text (Anthropic validates the range).
    private static func number(_ fields: JSONObject, _ key: String) throws(PluginError) -> JSONValue? {
        guard let value = fields[key], !value.isNull else { return nil }
        guard value.doubleValue != nil else { throw .invalid("\(key) must be a number") }
        return value
    }

    private static func stopSequences(_ stop: JSONValue?) throws(PluginError) -> JSONValue? {
        switch stop {
        case nil, .null?: return nil
        case .string(let sequence)?: return [.string(sequence)]
        case .array(let sequences)? where sequences.allSatisfy({ $0.stringValue != nil }):
            return sequences.isEmpty ? nil : .array(sequences)
        default: throw .invalid("stop must be a string or an array of strings")
        }
    }
}
