import SwitchyardCore

/// The 429s of rate limits and budgets (decision 0025), shared by the local and the Redis
/// ledger: the message names the scope and the limit, `Retry-After` says when to come back, the
/// `x-ratelimit-*` headers say where the limits stand, and a budget refusal says
/// `x-should-retry: false` (both official SDKs skip their automatic retries then).
enum LedgerRefusal {
    static func requestsPerMinute(_ scope: LedgerScope, limit: Int64, waitMilliseconds: Int64, headers: RateLimitHeaders) -> GatewayError {
        rateLimit("Rate limit reached for \(scope.displayName): \(limit) requests per minute", waitMilliseconds, headers)
    }

    static func tokensPerMinute(_ scope: LedgerScope, limit: Int64, waitMilliseconds: Int64, headers: RateLimitHeaders) -> GatewayError {
        rateLimit("Rate limit reached for \(scope.displayName): \(limit) tokens per minute", waitMilliseconds, headers)
    }

    static func concurrency(_ scope: LedgerScope, limit: Int, headers: RateLimitHeaders) -> GatewayError {
        var error = GatewayError(
            status: 429, type: "rate_limit_exceeded", code: "rate_limit_exceeded",
            message: "Concurrency limit reached for \(scope.displayName): \(limit) requests in flight; retry when one finishes.")
        error.retryAfter = 1
        error.headers = headers.fields
        return error
    }

    /// `resetsAt`: when the period starts over (Unix seconds), nil for `total`.
    static func budget(_ scope: LedgerScope, _ limit: SpendLimit, spent: Micros, reserved: Micros, currency: String, now unixSeconds: Int64, resetsAt: Int64?) -> GatewayError {
        var message = "Budget exceeded for \(scope.displayName): \(Money.text(limit.limit)) \(currency) \(periodText(limit.period)) "
            + "(spent \(Money.text(spent)), reserved for requests in flight \(Money.text(reserved)))"
        if let resetsAt { message += "; it resets in \(RateLimitHeaders.duration(milliseconds: (resetsAt - unixSeconds) * 1000))." } else { message += "." }
        var error = GatewayError(status: 429, type: "insufficient_quota", code: "budget_exceeded", message: message)
        if let resetsAt { error.retryAfter = Int(max(1, resetsAt - unixSeconds)) }
        error.headers = [("x-should-retry", "false")]
        return error
    }

    private static func rateLimit(_ text: String, _ waitMilliseconds: Int64, _ headers: RateLimitHeaders) -> GatewayError {
        let seconds = RateLimitHeaders.retryAfterSeconds(milliseconds: waitMilliseconds)
        var error = GatewayError(status: 429, type: "rate_limit_exceeded", code: "rate_limit_exceeded", message: "\(text); retry in \(seconds) s.")
        error.retryAfter = seconds
        error.headers = headers.fields
        return error
    }

    static func periodText(_ period: BudgetPeriod) -> String {
        switch period {
        case .daily: "per day"
        case .monthly: "per month"
        case .total: "in total"
        }
    }
}

/// Micros as text in the currency's units: at least two decimals, more when they matter
/// ("5.00", "0.000150").
enum Money {
    static func text(_ micros: Micros) -> String {
        let sign = micros < 0 ? "-" : ""
        let value = micros.magnitude
        var fraction = String(value % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(sign)\(value / 1_000_000).\(fraction)"
    }
}
