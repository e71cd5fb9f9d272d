/// What an Anthropic path amounts to (query removed): `/v1/messages` (usage), `/v1/messages/
/// count_tokens` (free: zero usage), `/v1/messages/batches...` and `/v1/models...` (operation
/// and audit path only). The messages routes are also accepted without `/v1`, for a base URL
/// that already ends in it. Anything else is not this enricher's.
struct AnthropicRoute: Equatable {
    enum Metered: Equatable { case messages, countTokens }

    let operation: String
    let auditPath: String
    let metered: Metered?

    init?(method: String, path: Substring) {
        var segments = path.split(separator: "/")[...]
        let versioned = segments.first == "v1"
        if versioned { segments = segments.dropFirst() }
        let post = method.utf8.elementsEqual("POST".utf8)
        auditPath = "/v1/" + segments.joined(separator: "/")
        switch Array(segments) {
        case ["messages"] where post:
            (operation, metered) = ("messages", .messages)
        case ["messages", "count_tokens"] where post:
            (operation, metered) = ("count_tokens", .countTokens)
        case let rest where rest.count >= 2 && rest[0] == "messages" && rest[1] == "batches":
            (operation, metered) = ("messages.batches", nil)
        case let rest where versioned && rest.first == "models":
            (operation, metered) = ("models", nil)
        default:
            return nil
        }
    }
}
