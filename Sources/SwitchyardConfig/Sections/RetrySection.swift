/// Decodes a provider's `retry:` block:
/// `{attempts: 2, on: [429, 503, connect, timeout], backoff: {initial: 200ms, max: 5s}, retry_after_cap: 10s}`.
/// Every key but `attempts` is optional; `attempts: 0` is the same as no block.
enum RetrySection {
    static let keys = ["attempts", "on", "backoff", "retry_after_cap"]
    static let backoffKeys = ["initial", "max"]
    /// More would hold a client for minutes on one target; the deadline bounds the rest.
    static let maxAttempts = 10

    static func decode(_ value: ConfigValue) throws(ConfigError) -> RetryConfig? {
        let fields = try value.mapping(allowedKeys: keys)
        var retry = RetryConfig()
        retry.attempts = try fields.required("attempts").integer(in: 0...maxAttempts)
        if let on = fields["on"] { try decodeOn(on, into: &retry) }
        if let backoff = fields["backoff"] {
            let times = try backoff.mapping(allowedKeys: backoffKeys)
            if let initial = times["initial"] { retry.initialBackoff = try ServerSection.positive(initial) }
            if let max = times["max"] { retry.maxBackoff = try ServerSection.positive(max) }
            if retry.maxBackoff < retry.initialBackoff {
                throw (times["max"] ?? backoff).error("backoff.max (\(retry.maxBackoff)) must be at least backoff.initial (\(retry.initialBackoff))")
            }
        }
        if let cap = fields["retry_after_cap"] { retry.retryAfterCap = try cap.duration() }
        return retry.attempts == 0 ? nil : retry
    }

    /// `on:` lists HTTP statuses (400...599) and the transport failures `connect` and `timeout`.
    private static func decodeOn(_ value: ConfigValue, into retry: inout RetryConfig) throws(ConfigError) {
        retry.statuses = []
        retry.onConnect = false
        retry.onTimeout = false
        let items = try value.sequence()
        if items.isEmpty { throw value.error("list what is retried: HTTP statuses (400-599), connect, timeout") }
        for item in items {
            let text = try item.token("a status or failure kind")
            switch text {
            case "connect": retry.onConnect = true
            case "timeout": retry.onTimeout = true
            default:
                guard let status = Int(text), (400...599).contains(status) else {
                    throw item.error("expected an HTTP status 400-599, connect or timeout, got \"\(text)\"")
                }
                if retry.statuses.contains(status) { throw item.error("status \(status) is listed twice") }
                retry.statuses.append(status)
            }
        }
    }
}
