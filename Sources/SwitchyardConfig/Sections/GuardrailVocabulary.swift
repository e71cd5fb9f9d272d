import SwitchyardCore

/// The closed word lists of a `guardrails:` entry: phase names, route names and `on_error`
/// values, with the errors that name the valid choices.
enum GuardrailVocabulary {
    /// YAML phase names and their SY_PHASE_* bits (switchyard_plugin.h). The header calls the
    /// stream phase CHUNK; operators think of it as the stream, so that is its YAML name.
    static let phases: [(name: String, bit: UInt32)] = [("request", 1), ("response", 2), ("stream", 4)]

    /// Route names and the client paths they stand for.
    static let routes: [(name: String, path: String)] = [
        ("chat_completions", "/v1/chat/completions"), ("responses", "/v1/responses"),
        ("messages", "/v1/messages"), ("embeddings", "/v1/embeddings"),
    ]

    static let onErrorValues = ["fail_closed", "fail_open"]

    static func phaseBit(_ value: ConfigValue) throws(ConfigError) -> (name: String, bit: UInt32) {
        let text = try value.token("a phase")
        if let phase = phases.first(where: { $0.name == text }) { return phase }
        let names = phases.map(\.name)
        let guess = text == "chunk" ? "stream" : Suggestion.closest(to: text, in: names)
        throw value.error("unknown phase \"\(text)\"\(didYouMean(guess)) (phases: \(names.joined(separator: ", ")))")
    }

    static func route(_ value: ConfigValue) throws(ConfigError) -> String {
        let text = try value.token("a route")
        if routes.contains(where: { $0.name == text }) { return text }
        // A path where a name belongs is an easy mistake: suggest the name it stands for.
        let guess = routes.first(where: { $0.path == text })?.name ?? Suggestion.closest(to: text, in: routes.map(\.name))
        let known = routes.map { "\($0.name) (\($0.path))" }.joined(separator: ", ")
        throw value.error("unknown route \"\(text)\"\(didYouMean(guess)) (routes: \(known))")
    }

    /// `fail_open` → true, `fail_closed` → false.
    static func failOpen(_ value: ConfigValue) throws(ConfigError) -> Bool {
        let text = try value.string()
        switch text {
        case "fail_open": return true
        case "fail_closed": return false
        default:
            let guess = Suggestion.closest(to: text, in: onErrorValues)
            throw value.error("expected fail_closed or fail_open, got \(value.describe())\(didYouMean(guess))")
        }
    }

    private static func didYouMean(_ guess: String?) -> String {
        guess.map { " (did you mean \"\($0)\"?)" } ?? ""
    }
}
