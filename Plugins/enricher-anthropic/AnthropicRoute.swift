import SwitchyardPluginSDK

/// What an Anthropic path amounts to (query removed): `/v1/messages` (usage), `/v1/messages/
/// count_tokens` (free: zero usage), `/v1/messages/batches...` and `/v1/models...` (operation
/// and audit path only). The messages routes are also accepted without `/v1`, for a base URL
/// that already ends in it. Anything else is not this enricher's.
struct AnthropicRoute {
    enum Metered: Equatable { case messages, countTokens }

    let operation: String
    let auditPath: String
    let metered: Metered?

    init?(_ head: ExchangeHead) {
        var cursor = PathSegments(head.route)
        var probe = cursor
        let versioned = PathSegments.bytes(probe.next(), are: "v1")
        if versioned { cursor = probe }
        let post = head.method(is: "POST")
        if post, cursor.remaining(are: "messages") {
            (operation, auditPath, metered) = ("messages", "/v1/messages", .messages)
        } else if post, cursor.remaining(are: "messages", "count_tokens") {
            (operation, auditPath, metered) = ("count_tokens", "/v1/messages/count_tokens", .countTokens)
        } else {
            probe = cursor
            let first = probe.next(), second = probe.next()
            if PathSegments.bytes(first, are: "messages"), PathSegments.bytes(second, are: "batches") {
                operation = "messages.batches"
            } else if versioned, PathSegments.bytes(first, are: "models") {
                operation = "models"
            } else {
                return nil
            }
            auditPath = "/v1" + String(decoding: cursor.rest, as: UTF8.self)
            metered = nil
        }
    }
}
