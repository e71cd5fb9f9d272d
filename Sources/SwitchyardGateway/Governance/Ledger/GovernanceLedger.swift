import SwitchyardCore
import SwitchyardPosix

/// Where the counters of budgets and rate limits live: in this process (`LocalLedger`, the
/// embedded default, its spend persisted in the store) or in Redis (`RedisLedger`, shared by
/// replicas). docs/governance.md.
///
/// Threading: `admit`, `spend` and `charge` are called on an event loop and answer on that same loop
/// (the local ledger at once, before returning; Redis when its reply arrives). Neither blocks.
protocol GovernanceLedger: AnyObject, Sendable {
    /// Checks every scope's rate limits and budget and, when all allow the request, counts it:
    /// takes a concurrency slot, counts one request against requests per minute and reserves
    /// `estimatedCost` against each budget, all or nothing. A refusal is a 429 naming the scope
    /// and limit, with `Retry-After`, the `x-ratelimit-*` headers and, for a budget,
    /// `x-should-retry: false`.
    func admit(_ request: AdmissionRequest, on loop: EventLoop, then: @escaping (AdmissionDecision) -> Void)
    /// What each scope with a budget has spent and holds reserved in its current period.
    func spend(of scopes: [LedgerScope], now: UInt64, on loop: EventLoop, then: @escaping ([ScopeSpend]) -> Void)
    /// Hands the spend this process holds unsaved to the store (the local ledger's write-behind,
    /// also the Redis ledger's fallback). At shutdown, once the loops stopped, before the store
    /// closes.
    func flushSpend()
    /// Adds `cost` to the spent of every budget scope's current period (scopes without a budget
    /// are skipped): no reservation, never refused, for work already done (a batch's cost when
    /// its usage is recorded). Fire and forget, on `loop`; a budget it takes past its limit
    /// refuses the scope's next admission.
    func charge(_ cost: Micros, to scopes: [LedgerScope], now: UInt64, on loop: EventLoop)
}

/// One thing a request counts against, with what applies to it.
struct LedgerScope: Sendable, Equatable {
    enum Kind: String, Sendable { case key, user, team, model }
    let kind: Kind
    /// The key's id, the user's or team's name, the model as requested.
    let name: String
    let budget: SpendLimit?
    let limits: RateLimitSettings?
    /// How refusals name the scope ("key key_ab12 (sk-sy-AbCd…)"); nil = `kind name`.
    var label: String?
    /// The counters' name: `key:key_abc`, `user:alice`, `team:research`, `model:gpt-4o` (built
    /// once: the ledger looks it up several times per request).
    let id: String

    init(kind: Kind, name: String, budget: SpendLimit?, limits: RateLimitSettings?, label: String? = nil) {
        self.kind = kind
        self.name = name
        self.budget = budget
        self.limits = limits
        self.label = label
        id = kind.rawValue + ":" + name
    }

    /// What refusal messages call the scope.
    var displayName: String { label ?? kind.rawValue + " " + name }
}

struct AdmissionRequest: Sendable {
    let requestID: String
    let scopes: [LedgerScope]
    /// Reserved against every budget until the request settles.
    let estimatedCost: Micros
    /// Checked against tokens per minute (not reserved: the real count is added at settlement).
    let estimatedTokens: Int
    /// Wall clock, Unix nanoseconds: budget periods are UTC calendar days and months.
    let now: UInt64
}

enum AdmissionDecision {
    /// The request may run; settle the hold exactly once when it ends.
    case admitted(any Settlement)
    case refused(GatewayError)
}

/// A scope's budget now (admin API).
struct ScopeSpend: Sendable, Equatable {
    let scope: String
    let period: BudgetPeriod
    let limit: Micros
    let spent: Micros
    let reserved: Micros
    /// When the period starts over (Unix seconds); nil for `total`.
    let resetsAt: Int64?
}
