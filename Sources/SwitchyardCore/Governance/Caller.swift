/// Who sent a request, once its key was checked (docs/governance.md): the virtual key (or the
/// master key) and the user and team the key belongs to, with the key's own budget and limits.
/// Set on the plan by the endpoint that authenticated the request; nil when the gateway is open
/// (no keys required) or the request came from one of the gateway's own plugins.
public struct Caller: Sendable, Equatable {
    /// The key's public id (`key_…`), or `master` for the master key.
    public let keyID: String
    /// The first characters of the secret (`sk-sy-AbCd`), for people to recognise it.
    public let keyPrefix: String
    public let user: String?
    public let team: String?
    /// The key's own spend limit (set through the admin API); nil = the configured default.
    public let budget: SpendLimit?
    /// The key's own rate limits (set through the admin API); nil = the configured default.
    public let limits: RateLimitSettings?

    public static let masterKeyID = "master"

    public init(keyID: String, keyPrefix: String, user: String? = nil, team: String? = nil, budget: SpendLimit? = nil, limits: RateLimitSettings? = nil) {
        self.keyID = keyID
        self.keyPrefix = keyPrefix
        self.user = user
        self.team = team
        self.budget = budget
        self.limits = limits
    }

    public var isMaster: Bool { keyID == Self.masterKeyID }
}

/// Amounts of money in millionths of the price catalog's currency (1 USD = 1,000,000): integer
/// arithmetic, so reservations and refunds add up exactly.
public typealias Micros = Int64

/// How a budget's spend is counted: per UTC calendar day, per UTC calendar month, or ever.
public enum BudgetPeriod: String, Sendable, Equatable, CaseIterable {
    case daily
    case monthly
    case total
}

/// A spend limit over a period, in the catalog's currency.
public struct SpendLimit: Sendable, Equatable {
    public var limit: Micros
    public var period: BudgetPeriod

    public init(limit: Micros, period: BudgetPeriod) {
        self.limit = limit
        self.period = period
    }
}

/// Requests per minute, tokens per minute and requests in flight; nil = no limit of that kind.
public struct RateLimitSettings: Sendable, Equatable {
    public var requestsPerMinute: Int?
    public var tokensPerMinute: Int?
    public var concurrency: Int?

    public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, concurrency: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
        self.concurrency = concurrency
    }

    public var isEmpty: Bool { requestsPerMinute == nil && tokensPerMinute == nil && concurrency == nil }
}

/// A request's hold on the budgets and limits it was admitted under, released exactly once when
/// the request ends (the access log's `record`, where every planned request ends): its real cost
/// replaces the reservation (0 refunds it: a failure, a stream that failed before its first
/// content), its real tokens count against tokens-per-minute, its concurrency slot frees. When
/// content reached the client but no usage arrived (a client that left mid-stream, a stream cut
/// after content), the access log settles the `estimate` instead: what was reserved is charged.
/// Threading: `settle` runs on the request's loop; implementations forward to wherever the
/// counters live (this process, or Redis) without blocking.
public protocol Settlement: AnyObject, Sendable {
    /// `cost`: what the request really cost (0 when it failed or reported no usage); `tokens`:
    /// its prompt plus completion tokens.
    func settle(cost: Micros, tokens: Int, status: Int)
    /// What admission reserved: the estimated cost and the estimated tokens (prompt + output
    /// allowance) it checked against tokens per minute.
    var estimate: (cost: Micros, tokens: Int) { get }
    /// What the response tells the client of its limits (`x-ratelimit-*`), taken at admission;
    /// empty when no rate limit applies.
    var responseHeaders: [(name: String, value: String)] { get }
}
