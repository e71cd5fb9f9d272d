import Synchronization
import SwitchyardCore
import SwitchyardPosix
import SwitchyardStore

/// The budgets and rate limits of this process (docs/governance.md, decision 0025). One per
/// process (`GatewayProcess`): it outlives reloads, so a reload neither forgets spend nor frees
/// slots. Counters live under one lock taken by every event loop for a few dictionary lookups;
/// `admit` and `spend` answer inline, before returning. Spend is persisted in the store's
/// `spend_totals`: settlements that cost something add to `unsavedSpend` (by row), and one store
/// job writes what gathered at most every `spendFlushDelay` (a timer on the loop of the
/// settlement that found nothing pending), and at shutdown (`flushSpend`, before the store
/// closes). Reservations and rate counters live only in memory, so a restart frees them.
///
/// Memory: counters are keyed by scope (key, user, team, the `rate_limits.models` entry a model
/// matched), never by a name a request may invent; once a minute the first admission sweeps out
/// the rate counters that are empty (both windows 0, no slot held) and the budget books with
/// nothing reserved that are of a past window or hold no spend.
final class LocalLedger: GovernanceLedger {
    struct State: Sendable {
        var rates: [String: RateCounters] = [:]
        var budgets: [BudgetKey: BudgetBook] = [:]
        /// Spend read from the store at start, taken into a book when its scope first shows up.
        var persisted: [BudgetKey: (windowStart: Int64, spent: Micros)] = [:]
        var inFlight = 0
        var doubleSettlements = 0
        /// Settled spend not yet handed to the store, by `spend_totals` row.
        var unsavedSpend: [SpendRow: Micros] = [:]
        var spendFlushScheduled = false
        /// The minute of the last sweep of empty counters.
        var sweptMinute: Int64 = -1
    }

    struct SpendRow: Hashable, Sendable {
        let key: BudgetKey
        let window: Int64
    }

    struct BudgetKey: Hashable, Sendable {
        let scope: String
        let period: BudgetPeriod
    }

    let currency: String
    private let state = Mutex(State())
    /// Where spend is persisted; nil in tests without a store.
    private let store: Store?
    /// Wall clock, Unix nanoseconds (a test clock in tests: `LedgerClock`).
    let clock: LedgerClock

    init(currency: String = "USD", store: Store? = nil, clock: LedgerClock = LedgerClock(), persisted: [SpendTotal] = []) {
        self.currency = currency
        self.store = store
        self.clock = clock
        state.withLock { state in
            for total in persisted {
                state.persisted[BudgetKey(scope: total.scope, period: total.period)] = (total.windowStart, total.spent)
            }
        }
    }

    /// How long settled spend gathers before one store job writes it.
    static let spendFlushDelay: UInt64 = 100_000_000

    func admit(_ request: AdmissionRequest, on loop: EventLoop, then: @escaping (AdmissionDecision) -> Void) {
        then(admit(request, loop: loop))
    }

    /// All or nothing: every scope is checked before anything is counted. `loop`: where the
    /// settlement schedules the write of its spend; nil (tests) writes it at settlement.
    func admit(_ request: AdmissionRequest, loop: EventLoop? = nil) -> AdmissionDecision {
        let milliseconds = Int64(request.now / 1_000_000)
        let seconds = milliseconds / 1000
        let (minute, into) = SlidingWindow.minute(milliseconds)
        return state.withLock { state -> AdmissionDecision in
            if minute != state.sweptMinute { state.sweep(minute: minute, seconds: seconds) }
            var headers = RateLimitHeaders()
            var refusal: GatewayError?
            // Rate limits first: a refused request reserves nothing.
            for scope in request.scopes {
                guard let limits = scope.limits else { continue }
                let counters = Self.rolled(&state.rates[scope.id, default: RateCounters()], to: minute)
                if let concurrency = limits.concurrency, counters.inFlight >= concurrency, refusal == nil {
                    refusal = LedgerRefusal.concurrency(scope, limit: concurrency, headers: headers)
                }
                if let rpm = limits.requestsPerMinute.map(Int64.init) {
                    let (previous, current) = (counters.requests.previous, counters.requests.current)
                    let admits = SlidingWindow.admits(previous: previous, current: current, into: into, adding: 1, limit: rpm)
                    let after = admits ? current + 1 : current
                    headers.noteRequests(.init(
                        limit: rpm, remaining: SlidingWindow.remaining(previous: previous, current: after, into: into, limit: rpm),
                        resetMilliseconds: SlidingWindow.untilEmpty(previous: previous, current: after, into: into)))
                    if !admits, refusal == nil {
                        let wait = SlidingWindow.wait(previous: previous, current: current, into: into, adding: 1, limit: rpm)
                        refusal = LedgerRefusal.requestsPerMinute(scope, limit: rpm, waitMilliseconds: wait, headers: headers)
                    }
                }
                if let tpm = limits.tokensPerMinute.map(Int64.init) {
                    let (previous, current) = (counters.tokens.previous, counters.tokens.current)
                    let estimate = Int64(request.estimatedTokens)
                    let admits = SlidingWindow.admits(previous: previous, current: current, into: into, adding: estimate, limit: tpm, alwaysWhenEmpty: true)
                    headers.noteTokens(.init(
                        limit: tpm, remaining: SlidingWindow.remaining(previous: previous, current: current, into: into, limit: tpm),
                        resetMilliseconds: SlidingWindow.untilEmpty(previous: previous, current: current, into: into)))
                    if !admits, refusal == nil {
                        let wait = SlidingWindow.wait(previous: previous, current: current, into: into, adding: estimate, limit: tpm)
                        refusal = LedgerRefusal.tokensPerMinute(scope, limit: tpm, waitMilliseconds: wait, headers: headers)
                    }
                }
            }
            if var refusal {
                refusal.headers = headers.fields  // every scope's standing, not only those before the refusing one
                return .refused(refusal)
            }
            // Budgets: spent + reserved + estimate must fit each one.
            var holds: [LocalSettlement.BudgetHold] = []
            for scope in request.scopes {
                guard let budget = scope.budget else { continue }
                let (key, start) = state.rollBook(scope.id, budget.period, at: seconds)
                let book = state.budgets[key]!
                if book.current.spent + book.current.reserved + request.estimatedCost > budget.limit {
                    return .refused(LedgerRefusal.budget(
                        scope, budget, spent: book.current.spent, reserved: book.current.reserved, currency: currency, now: seconds,
                        resetsAt: PeriodWindow.end(budget.period, at: seconds)))
                }
                holds.append(.init(key: key, window: start))
            }
            // Admitted: count everything.
            var rateScopes: [LocalSettlement.RateHold] = []
            for scope in request.scopes {
                guard let limits = scope.limits else { continue }
                Self.count(&state.rates[scope.id, default: RateCounters()], minute: minute, slot: limits.concurrency != nil)
                rateScopes.append(.init(scope: scope.id, concurrency: limits.concurrency != nil, tokens: limits.tokensPerMinute != nil))
            }
            for hold in holds { state.budgets[hold.key]!.reserve(request.estimatedCost) }
            state.inFlight += 1
            return .admitted(LocalSettlement(ledger: self, loop: loop, rates: rateScopes, holds: holds, reserved: request.estimatedCost,
                                             estimatedTokens: request.estimatedTokens, responseHeaders: headers.fields))
        }
    }

    /// The counters moved to `minute`, in place, and a copy of them to read.
    private static func rolled(_ counters: inout RateCounters, to minute: Int64) -> RateCounters {
        counters.requests.roll(to: minute)
        counters.tokens.roll(to: minute)
        return counters
    }

    /// One admitted request on a scope's counters (one dictionary access for both).
    private static func count(_ counters: inout RateCounters, minute: Int64, slot: Bool) {
        counters.requests.add(1, at: minute)
        if slot { counters.inFlight += 1 }
    }

    /// Called once per settlement (`LocalSettlement` guards the once).
    func release(_ settlement: LocalSettlement, cost: Micros, tokens: Int) {
        let cost = max(0, cost)
        let (minute, _) = SlidingWindow.minute(Int64(clock.now() / 1_000_000))
        let persist = store != nil && cost > 0 && !settlement.holds.isEmpty
        let scheduleFlush = state.withLock { state -> Bool in
            for hold in settlement.rates {
                let countsTokens = hold.tokens && tokens > 0
                // A slot keeps its counters from the sweep; tokens may find them swept (a
                // request longer than two minutes) and start them again.
                guard hold.concurrency || countsTokens else { continue }
                state.rates[hold.scope, default: RateCounters()].settle(slot: hold.concurrency, tokens: countsTokens ? Int64(tokens) : 0, minute: minute)
            }
            for hold in settlement.holds {
                state.budgets[hold.key]?.settle(window: hold.window, reserved: settlement.reserved, cost: cost)
            }
            state.inFlight -= 1
            guard persist else { return false }
            for hold in settlement.holds { state.unsavedSpend[SpendRow(key: hold.key, window: hold.window), default: 0] += cost }
            guard settlement.loop != nil, !state.spendFlushScheduled else { return false }
            state.spendFlushScheduled = true
            return true
        }
        guard persist else { return }
        guard let loop = settlement.loop else { return flushSpend() }
        guard scheduleFlush else { return }
        if loop.isOnLoop {
            loop.schedule(after: Self.spendFlushDelay) { [self] in flushSpend() }
        } else {
            loop.execute { [self] in loop.schedule(after: Self.spendFlushDelay) { [self] in flushSpend() } }
        }
    }

    /// Hands the spend gathered since the last flush to the store as one job. On a loop (the
    /// timer), and at shutdown once the loops stopped, before the store closes (a timer that
    /// never ran leaves its spend here).
    func flushSpend() {
        let rows = state.withLock { state -> [SpendTotal] in
            state.spendFlushScheduled = false
            defer { state.unsavedSpend = [:] }
            return state.unsavedSpend.map { SpendTotal(scope: $0.key.key.scope, period: $0.key.key.period, windowStart: $0.key.window, spent: $0.value) }
        }
        guard !rows.isEmpty, let store else { return }
        store.write { db throws(StoreError) in try SpendTotal.add(rows, db) }
    }

    func charge(_ cost: Micros, to scopes: [LedgerScope], now: UInt64, on loop: EventLoop) {
        charge(cost, to: scopes, now: now)
    }

    /// Adds `cost` to each budget scope's current window and persists it like a settlement's.
    func charge(_ cost: Micros, to scopes: [LedgerScope], now: UInt64) {
        guard cost > 0 else { return }
        let seconds = Int64(now / 1_000_000_000)
        let rows = state.withLock { state in
            scopes.compactMap { scope -> SpendTotal? in
                guard let budget = scope.budget else { return nil }
                let (key, start) = state.rollBook(scope.id, budget.period, at: seconds)
                state.budgets[key]!.charge(cost)
                return SpendTotal(scope: scope.id, period: budget.period, windowStart: start, spent: cost)
            }
        }
        guard !rows.isEmpty, let store else { return }
        store.write { db throws(StoreError) in try SpendTotal.add(rows, db) }
    }

    func noteDoubleSettlement() { state.withLock { $0.doubleSettlements += 1 } }

    func spend(of scopes: [LedgerScope], now: UInt64, on loop: EventLoop, then: @escaping ([ScopeSpend]) -> Void) {
        then(spend(of: scopes, now: now))
    }

    func spend(of scopes: [LedgerScope], now: UInt64) -> [ScopeSpend] {
        let seconds = Int64(now / 1_000_000_000)
        return state.withLock { state in
            scopes.compactMap { scope -> ScopeSpend? in
                guard let budget = scope.budget else { return nil }
                let book = state.budgets[state.rollBook(scope.id, budget.period, at: seconds).key]!
                return ScopeSpend(scope: scope.id, period: budget.period, limit: budget.limit, spent: book.current.spent,
                                  reserved: book.current.reserved, resetsAt: PeriodWindow.end(budget.period, at: seconds))
            }
        }
    }

    /// Totals for tests and the property checks: reservations of every window, requests in
    /// flight, concurrency slots held, double settlements seen.
    var totals: (reserved: Micros, inFlight: Int, slots: Int, doubleSettlements: Int) {
        state.withLock { state in
            (state.budgets.values.reduce(0) { $0 + $1.reservedEverywhere }, state.inFlight,
             state.rates.values.reduce(0) { $0 + $1.inFlight }, state.doubleSettlements)
        }
    }

    /// Counters held (tests: the state stays bounded).
    var entries: (rates: Int, budgets: Int, persisted: Int) {
        state.withLock { ($0.rates.count, $0.budgets.count, $0.persisted.count) }
    }

    /// A scope's spent in its current window (tests).
    func spent(_ scope: String, _ period: BudgetPeriod) -> Micros {
        state.withLock { $0.budgets[BudgetKey(scope: scope, period: period)]?.current.spent ?? 0 }
    }
}

extension LocalLedger.State {
    /// Makes the book of `scope`'s `period` budget current at `seconds` (a new window starts
    /// from 0), stored in `budgets`; its key and the window's start.
    mutating func rollBook(_ scope: String, _ period: BudgetPeriod, at seconds: Int64) -> (key: LocalLedger.BudgetKey, start: Int64) {
        let key = LocalLedger.BudgetKey(scope: scope, period: period)
        let start = PeriodWindow.start(period, at: seconds)
        var book = book(key, windowStart: start)
        book.roll(to: start)
        budgets[key] = book
        return (key, start)
    }

    /// Drops what holds nothing (under the lock, once a minute): rate counters with both windows
    /// empty and no slot held, budget books with nothing reserved that are of a past window or
    /// spent nothing (their spend is in the store), persisted spend of a past window.
    mutating func sweep(minute: Int64, seconds: Int64) {
        sweptMinute = minute
        rates = rates.filter { !$0.value.isEmpty(at: minute) }
        budgets = budgets.filter { key, book in
            book.reservedEverywhere != 0 || (book.windowStart >= PeriodWindow.start(key.period, at: seconds) && book.current.spent != 0)
        }
        persisted = persisted.filter { $0.value.windowStart == PeriodWindow.start($0.key.period, at: seconds) }
    }

    /// The book of `key`, made from the persisted spend when that is of the window `start`.
    mutating func book(_ key: LocalLedger.BudgetKey, windowStart start: Int64) -> BudgetBook {
        if let book = budgets[key] { return book }
        guard let saved = persisted.removeValue(forKey: key), saved.windowStart == start else { return BudgetBook(windowStart: start) }
        return BudgetBook(windowStart: start, spent: saved.spent)
    }
}
