import SwitchyardConfig
import SwitchyardCore
import SwitchyardPosix
import SwitchyardRedis

/// Budgets and rate limits shared by replicas through Redis (docs/governance.md#redis-replicas,
/// decision 0027): one Lua script admits (every scope at once, all or nothing), one settles.
/// Concurrency slots and budget reservations are leases that expire (`leaseSeconds`), so the
/// holds of a replica that crashed free themselves.
///
/// When Redis cannot answer (down, past `redis.timeout`, a script error), `on_unavailable`
/// decides: `fail_open` admits through `fallback` (this replica's local ledger: its own
/// counters) and `fail_closed` refuses with 503 `governance_unavailable`. Each outage is logged
/// once (and its end), every such admission counted.
///
/// Threading: `admit` and `spend` run on an event loop and answer on it when Redis replies (the
/// client's connection of that loop); nothing blocks. A settlement runs on the loop the request
/// was admitted on.
final class RedisLedger: GovernanceLedger {
    let client: RedisClient
    let policy: RedisConfig.UnavailablePolicy
    let fallback: any GovernanceLedger
    let log: GatewayLog
    let currency: String
    let clock: LedgerClock
    let leaseMilliseconds: Int64
    let counters = RedisLedgerCounters()

    /// The fallback's spend: what it admitted and settled while Redis was away.
    func flushSpend() { fallback.flushSpend() }

    /// `leaseSeconds`: how long a slot or reservation holds when its request never settles
    /// (the longest a request may run; 10 minutes by default).
    init(client: RedisClient, config: RedisConfig, fallback: any GovernanceLedger, log: GatewayLog,
         currency: String = "USD", clock: LedgerClock = LedgerClock(), leaseSeconds: Int = 600) {
        self.client = client
        self.policy = config.onUnavailable
        self.fallback = fallback
        self.log = log
        self.currency = currency
        self.clock = clock
        self.leaseMilliseconds = Int64(leaseSeconds) * 1000
    }

    func admit(_ request: AdmissionRequest, on loop: EventLoop, then: @escaping (AdmissionDecision) -> Void) {
        let admission = RedisLedgerAdmission(request, lease: Self.newLease(request.requestID), leaseMilliseconds: leaseMilliseconds)
        client.evaluate(RedisLedgerScripts.admit, keys: admission.keys, arguments: admission.arguments, on: loop) { [self] result in
            let reply: RedisReply
            switch result {
            case .success(let answer): reply = answer
            case .failure(let failure):
                unavailable(failure.description, request, on: loop, then: then)
                return
            }
            guard let (verdict, counts) = RedisLedgerAdmission.parse(reply, scopes: request.scopes.count) else {
                unavailable("the admission script answered \(Self.describe(reply))", request, on: loop, then: then)
                return
            }
            reachable()
            switch verdict {
            case .admitted:
                then(.admitted(RedisLedgerSettlement(ledger: self, admission: admission, loop: loop, responseHeaders: admission.headers(counts).fields)))
            case .refused(let scope, let kind):
                then(.refused(admission.refusal(scope: scope, kind: kind, counts: counts, currency: currency)))
            }
        }
    }

    /// Redis did not answer the admission: the configured policy decides.
    private func unavailable(_ reason: String, _ request: AdmissionRequest, on loop: EventLoop, then: @escaping (AdmissionDecision) -> Void) {
        if counters.outageStarted() {
            log.warn("governance: redis unavailable, \(policy == .failOpen ? "admitting through this replica's own counters" : "refusing requests with 503") until it answers again",
                     fields: [("reason", reason), ("on_unavailable", policy.rawValue)])
        }
        switch policy {
        case .failOpen:
            counters.failedOpen()
            fallback.admit(request, on: loop, then: then)
        case .failClosed:
            counters.failedClosed()
            then(.refused(Self.governanceUnavailable))
        }
    }

    private func reachable() {
        if counters.outageEnded() { log.info("governance: redis answers again; admissions count in redis") }
    }

    static let governanceUnavailable: GatewayError = {
        var error = GatewayError(status: 503, type: "service_unavailable", code: "governance_unavailable",
                                 message: "Budgets and rate limits cannot be checked right now (their shared store, Redis, does not answer); retry shortly.")
        error.retryAfter = 1
        return error
    }()

    func spend(of scopes: [LedgerScope], now: UInt64, on loop: EventLoop, then: @escaping ([ScopeSpend]) -> Void) {
        let seconds = Int64(now / 1_000_000_000)
        let budgeted = scopes.compactMap { scope in scope.budget.map { (scope, $0, PeriodWindow.start($0.period, at: seconds)) } }
        guard !budgeted.isEmpty else { return then([]) }
        var keys: [String] = []
        for (scope, budget, window) in budgeted {
            keys += [RedisLedgerKeys.spent(scope.id, budget.period, window: window), RedisLedgerKeys.reserved(scope.id, budget.period, window: window),
                     RedisLedgerKeys.reservationLeases(scope.id, budget.period, window: window),
                     RedisLedgerKeys.reservationAmounts(scope.id, budget.period, window: window)]
        }
        client.evaluate(RedisLedgerScripts.spend, keys: keys, arguments: [String(now / 1_000_000)], on: loop) { [self] result in
            guard case .success(.array(let items)) = result, items.count == budgeted.count * 2 else {
                // The admin API reads this: the local ledger's view is better than nothing.
                fallback.spend(of: scopes, now: now, on: loop, then: then)
                return
            }
            then(budgeted.enumerated().map { index, entry in
                ScopeSpend(scope: entry.0.id, period: entry.1.period, limit: entry.1.limit, spent: items[index * 2].integer ?? 0,
                           reserved: items[index * 2 + 1].integer ?? 0, resetsAt: PeriodWindow.end(entry.1.period, at: seconds))
            })
        }
    }

    /// A lease id unique across replicas: the request id and 64 random bits.
    static func newLease(_ requestID: String) -> String {
        var generator = SystemRandomNumberGenerator()
        return requestID + ":" + String(generator.next(), radix: 16)
    }

    static func describe(_ reply: RedisReply) -> String {
        if case .error(let message) = reply { return "an error: \(message)" }
        return "something unexpected"
    }
}
