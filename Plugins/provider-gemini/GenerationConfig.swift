import SwitchyardPluginSDK

/// Canonical sampling and output fields → Gemini `generationConfig`.
enum GenerationConfig {
    /// Canonical number field → generationConfig key; values are copied as written.
    private static let numbers: [(canonical: String, gemini: String)] = [
        ("temperature", "temperature"), ("top_p", "topP"), ("top_k", "topK"), ("n", "candidateCount"),
        ("seed", "seed"), ("presence_penalty", "presencePenalty"), ("frequency_penalty", "frequencyPenalty"),
    ]

    /// Thinking budgets in tokens for `reasoning_effort`. "none"/"minimal" turn thinking off
    /// (models that cannot stop thinking, e.g. 2.5 Pro, answer 400 for that); the others are
    /// the budgets Google's docs give as low/medium/high points of the 2.5 range.
    static let thinkingBudgets: [String: Int] = ["none": 0, "minimal": 0, "low": 1024, "medium": 8192, "high": 24576]

    static func build(_ body: JSONObject) throws(PluginError) -> (config: JSONValue?, logprobs: Bool) {
        var config = JSONObject()
        for (canonical, gemini) in numbers {
            guard let value = body[canonical], !value.isNull else { continue }
            guard case .number = value else { throw Rejection.invalid(canonical, "must be a number") }
            config[gemini] = value
        }
        if let limit = try maxTokens(body) { config["maxOutputTokens"] = limit }
        if let stop = try stopSequences(body["stop"]) { config["stopSequences"] = stop }
        try responseFormat(body["response_format"], into: &config)
        let logprobs = try logprobs(body, into: &config)
        try thinking(body["reasoning_effort"], into: &config)
        return (config.count == 0 ? nil : .object(config), logprobs)
    }

    /// `max_completion_tokens` (the current name) wins over the deprecated `max_tokens`.
    private static func maxTokens(_ body: JSONObject) throws(PluginError) -> JSONValue? {
        for key in ["max_completion_tokens", "max_tokens"] {
            guard let value = body[key], !value.isNull else { continue }
            guard value.intValue != nil else { throw Rejection.invalid(key, "must be an integer") }
            return value
        }
        return nil
    }

    private static func stopSequences(_ stop: JSONValue?) throws(PluginError) -> JSONValue? {
        guard let stop, !stop.isNull else { return nil }
        if let single = stop.stringValue { return [.string(single)] }
        guard let list = stop.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
            throw Rejection.invalid("stop", "must be a string or an array of strings")
        }
        return list.isEmpty ? nil : stop
    }

    private static func responseFormat(_ format: JSONValue?, into config: inout JSONObject) throws(PluginError) {
        guard let format, !format.isNull else { return }
        switch format["type"]?.stringValue {
        case "text":
            return
        case "json_object":
            config["responseMimeType"] = "application/json"
        case "json_schema":
            guard let schema = format["json_schema"]?["schema"] else {
                throw Rejection.invalid("response_format.json_schema.schema", "is required")
            }
            config["responseMimeType"] = "application/json"
            config["responseSchema"] = try SchemaApproximation.gemini(schema, field: "response_format.json_schema.schema")
        case let other:
            throw Rejection.unsupported("response_format.type", "\"\(other ?? "(missing)")\"")
        }
    }

    /// Gemini returns the chosen token's log probability and the top candidates per step, which
    /// map one to one onto OpenAI's `logprobs.content` (see CandidateLogprobs).
    private static func logprobs(_ body: JSONObject, into config: inout JSONObject) throws(PluginError) -> Bool {
        let wanted = body["logprobs"]?.boolValue ?? false
        if let value = body["logprobs"], !value.isNull, value.boolValue == nil { throw Rejection.invalid("logprobs", "must be a boolean") }
        if let top = body["top_logprobs"], !top.isNull {
            guard top.intValue != nil else { throw Rejection.invalid("top_logprobs", "must be an integer") }
            guard wanted else { throw Rejection.invalid("top_logprobs", "needs logprobs: true") }
            config["logprobs"] = top
        }
        if wanted { config["responseLogprobs"] = true }
        return wanted
    }

    private static func thinking(_ effort: JSONValue?, into config: inout JSONObject) throws(PluginError) {
        guard let effort, !effort.isNull else { return }
        guard let name = effort.stringValue, let budget = thinkingBudgets[name] else {
            throw Rejection.invalid("reasoning_effort", "must be one of none, minimal, low, medium, high")
        }
        // With a budget, ask for thought summaries too: they become reasoning_content.
        config["thinkingConfig"] = budget == 0 ? ["thinkingBudget": 0] : ["thinkingBudget": .number(budget), "includeThoughts": true]
    }
}
