import SwitchyardJSON

/// Anthropic's `thinking` → canonical `reasoning_effort`. A token budget has no exact effort
/// equivalent; the buckets below are an approximation (docs/translation/ingress-anthropic.md):
///
/// | budget_tokens | reasoning_effort |
/// |---|---|
/// | < 4096 (the API's minimum is 1024) | low |
/// | 4096 ..< 16384 | medium |
/// | ≥ 16384 | high |
///
/// `{"type":"disabled"}` and `{"type":"adaptive"}` send no effort: the provider's default
/// applies, which is what both mean for a model that is not Claude.
enum ThinkingBudget {
    static func effort(forBudget budget: Int) -> String {
        switch budget {
        case ..<4096: "low"
        case ..<16384: "medium"
        default: "high"
        }
    }

    static func reasoningEffort(_ thinking: FieldReader) throws(TranslationError) -> String? {
        try thinking.onlyKnownKeys(["type", "budget_tokens", "display"])
        let type = try thinking.requiredString("type")
        switch type {
        case "enabled":
            guard let budget = try thinking.int("budget_tokens") else { throw .field(thinking.path("budget_tokens"), "field required") }
            guard budget > 0 else { throw .field(thinking.path("budget_tokens"), "must be positive") }
            return effort(forBudget: budget)
        case "disabled", "adaptive":
            return nil
        default:
            throw .field(thinking.path("type"), "expected \"enabled\", \"disabled\" or \"adaptive\" (got \"\(type)\")")
        }
    }
}
