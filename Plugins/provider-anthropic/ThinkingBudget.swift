import SwitchyardPluginSDK

/// `reasoning_effort` → an extended-thinking token budget. Anthropic's minimum budget is 1024
/// and the budget counts against `max_tokens`, which must exceed it.
enum ThinkingBudget {
    static let minimum = 1024

    /// Budgets per effort; "none" turns thinking off.
    static let tokens: [String: Int] = ["minimal": 1024, "low": 2048, "medium": 8192, "high": 24576]

    /// The budget for `effort`, or nil for no thinking.
    static func budget(for effort: JSONValue?) throws(PluginError) -> Int? {
        guard let effort, !effort.isNull, effort != .string("none") else { return nil }
        guard let name = effort.stringValue, let budget = tokens[name] else {
            throw .invalid("reasoning_effort must be one of none, minimal, low, medium, high")
        }
        return budget
    }

    /// `max_tokens` and the budget that fits under it. With a client limit, that limit stays the
    /// cap on all output (as in OpenAI, where max_completion_tokens includes reasoning) and the
    /// budget shrinks below it; without one, the answer gets the default on top of the budget.
    static func limits(budget: Int, clientLimit: Int?, defaultMaxTokens: Int) throws(PluginError) -> (maxTokens: Int, budget: Int) {
        guard let clientLimit else { return (defaultMaxTokens + budget, budget) }
        let fitted = min(budget, clientLimit - 1)
        guard fitted >= minimum else {
            throw unsupported("reasoning_effort with max_tokens \(clientLimit)", "Anthropic thinking needs a budget of at least \(minimum) tokens below max_tokens")
        }
        return (clientLimit, fitted)
    }
}
