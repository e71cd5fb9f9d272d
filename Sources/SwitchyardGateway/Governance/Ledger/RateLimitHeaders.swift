/// The `x-ratelimit-*` headers in OpenAI's formats, for refusals and for admitted responses:
/// limit, remaining and reset of requests and of tokens, each from the scope with the least
/// remaining. Shared by the local and the Redis ledger.
struct RateLimitHeaders: Sendable {
    /// One scope's standing on one kind of limit.
    struct Standing: Sendable {
        let limit: Int64
        let remaining: Int64
        /// Milliseconds until the limit is whole again.
        let resetMilliseconds: Int64
    }

    private(set) var requests: Standing?
    private(set) var tokens: Standing?

    /// Keeps the standing with the least remaining.
    mutating func noteRequests(_ standing: Standing) {
        if requests.map({ standing.remaining < $0.remaining }) ?? true { requests = standing }
    }

    mutating func noteTokens(_ standing: Standing) {
        if tokens.map({ standing.remaining < $0.remaining }) ?? true { tokens = standing }
    }

    var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = []
        if let requests {
            fields.append(("x-ratelimit-limit-requests", String(requests.limit)))
            fields.append(("x-ratelimit-remaining-requests", String(requests.remaining)))
            fields.append(("x-ratelimit-reset-requests", Self.duration(milliseconds: requests.resetMilliseconds)))
        }
        if let tokens {
            fields.append(("x-ratelimit-limit-tokens", String(tokens.limit)))
            fields.append(("x-ratelimit-remaining-tokens", String(tokens.remaining)))
            fields.append(("x-ratelimit-reset-tokens", Self.duration(milliseconds: tokens.resetMilliseconds)))
        }
        return fields
    }

    /// OpenAI's duration text: "250ms" under a second, else "1s", "6m0s", "1h2m3s" (whole
    /// seconds, rounded up).
    static func duration(milliseconds: Int64) -> String {
        if milliseconds < 1000 { return String(max(0, milliseconds)) + "ms" }
        let seconds = (milliseconds + 999) / 1000
        let hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        if hours > 0 { return "\(hours)h\(minutes)m\(rest)s" }
        if minutes > 0 { return "\(minutes)m\(rest)s" }
        return "\(rest)s"
    }

    /// `Retry-After`: whole seconds, at least 1.
    static func retryAfterSeconds(milliseconds: Int64) -> Int {
        Int(max(1, (milliseconds + 999) / 1000))
    }
}
