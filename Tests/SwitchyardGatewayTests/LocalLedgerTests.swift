import Glibc
import Synchronization
@testable import SwitchyardGateway
import SwitchyardCore
import SwitchyardPosix
import SwitchyardStore
import Testing

/// The process's ledger: rate windows, concurrency, budgets reserved and settled to the micro,
/// all-or-nothing admission, period rollover, spend kept in the store, and the property
/// run (10,000 requests from many threads with faults: nothing leaks, spend adds up exactly).
@Suite(.serialized) struct LocalLedgerTests {
    /// 2026-12-31 23:59:00 UTC, in ns.
    static let lastMinuteOf2026: UInt64 = 1_798_761_540 * 1_000_000_000
    static let second: UInt64 = 1_000_000_000

    func request(_ scopes: [LedgerScope], cost: Micros = 0, tokens: Int = 0, at now: UInt64 = lastMinuteOf2026) -> AdmissionRequest {
        AdmissionRequest(requestID: "req", scopes: scopes, estimatedCost: cost, estimatedTokens: tokens, now: now)
    }

    func settlement(_ decision: AdmissionDecision) -> (any Settlement)? {
        if case .admitted(let settlement) = decision { return settlement }
        return nil
    }

    func refusal(_ decision: AdmissionDecision) -> GatewayError? {
        if case .refused(let error) = decision { return error }
        return nil
    }

    @Test("requests per minute: refused at the limit with Retry-After and headers, admitted as the window slides")
    func requestsPerMinute() throws {
        let ledger = LocalLedger()
        let scope = LedgerScope(kind: .user, name: "alice", budget: nil, limits: RateLimitSettings(requestsPerMinute: 2))
        let start = Self.lastMinuteOf2026
        let first = try #require(settlement(ledger.admit(request([scope], at: start))))
        #expect(first.responseHeaders.first { $0.name == "x-ratelimit-remaining-requests" }?.value == "1")
        _ = try #require(settlement(ledger.admit(request([scope], at: start + 10 * Self.second))))
        let refused = try #require(refusal(ledger.admit(request([scope], at: start + 30 * Self.second))))
        #expect(refused.status == 429 && refused.type == "rate_limit_exceeded" && refused.code == "rate_limit_exceeded")
        // This minute holds 2: the next minute, once they weigh ≤ 1 (30 s into it): 30 + 30 s.
        #expect(refused.retryAfter == 60)
        #expect(refused.message == "Rate limit reached for user alice: 2 requests per minute; retry in 60 s.")
        let headers = Dictionary(uniqueKeysWithValues: refused.headers.map { ($0.name, $0.value) })
        #expect(headers["x-ratelimit-limit-requests"] == "2")
        #expect(headers["x-ratelimit-remaining-requests"] == "0")
        #expect(headers["x-ratelimit-reset-requests"] == "1m30s")
        // Next minute, 30 s in: 2 × 30/60 = 1 counted, one more fits; a second does not.
        #expect(settlement(ledger.admit(request([scope], at: start + 90 * Self.second))) != nil)
        #expect(refusal(ledger.admit(request([scope], at: start + 90 * Self.second))) != nil)
        // Two minutes on, all forgotten.
        #expect(settlement(ledger.admit(request([scope], at: start + 200 * Self.second))) != nil)
    }

    @Test("tokens per minute count the real tokens at settlement; one request over the whole limit runs alone")
    func tokensPerMinute() throws {
        let ledger = LocalLedger(clock: LedgerClock())
        let scope = LedgerScope(kind: .model, name: "echo-1", budget: nil, limits: RateLimitSettings(tokensPerMinute: 100))
        let now = ledger.clock.now()
        let big = try #require(settlement(ledger.admit(request([scope], tokens: 500, at: now))))
        big.settle(cost: 0, tokens: 90, status: 200)
        let refused = try #require(refusal(ledger.admit(request([scope], tokens: 20, at: now))))
        #expect(refused.message.hasPrefix("Rate limit reached for model echo-1: 100 tokens per minute; retry in"))
        #expect(settlement(ledger.admit(request([scope], tokens: 10, at: now))) != nil)
    }

    @Test("concurrency: a slot frees when its request settles, whatever it cost")
    func concurrency() throws {
        let ledger = LocalLedger()
        let scope = LedgerScope(kind: .team, name: "research", budget: nil, limits: RateLimitSettings(concurrency: 2))
        let one = try #require(settlement(ledger.admit(request([scope]))))
        _ = try #require(settlement(ledger.admit(request([scope]))))
        let refused = try #require(refusal(ledger.admit(request([scope]))))
        #expect(refused.message == "Concurrency limit reached for team research: 2 requests in flight; retry when one finishes.")
        #expect(refused.retryAfter == 1)
        one.settle(cost: 0, tokens: 0, status: 500)
        #expect(settlement(ledger.admit(request([scope]))) != nil)
        #expect(ledger.totals.slots == 2)
    }

    @Test("budgets: reservations and settlements exact to the micro; 0 refunds")
    func budgetExact() throws {
        let ledger = LocalLedger(currency: "USD")
        let scope = LedgerScope(kind: .key, name: "key_ab12", budget: SpendLimit(limit: 1_000_000, period: .daily), limits: nil,
                                label: "key key_ab12 (sk-sy-AbCd…)")
        let held = try (0..<3).map { _ in try #require(settlement(ledger.admit(request([scope], cost: 300_000)))) }
        let refused = try #require(refusal(ledger.admit(request([scope], cost: 300_000))))
        #expect(refused.status == 429 && refused.type == "insufficient_quota" && refused.code == "budget_exceeded")
        #expect(refused.headers.contains { $0.name == "x-should-retry" && $0.value == "false" })
        #expect(refused.retryAfter == 60)  // 23:59:00 → midnight
        #expect(refused.message == "Budget exceeded for key key_ab12 (sk-sy-AbCd…): 1.00 USD per day (spent 0.00, reserved for requests in flight 0.90); it resets in 1m0s.")
        held[0].settle(cost: 123_457, tokens: 10, status: 200)
        held[1].settle(cost: 0, tokens: 0, status: 502)
        var spend = ledger.spend(of: [scope], now: Self.lastMinuteOf2026)
        #expect(spend == [ScopeSpend(scope: "key:key_ab12", period: .daily, limit: 1_000_000, spent: 123_457, reserved: 300_000, resetsAt: 1_798_761_600)])
        // Room for 1,000,000 − 123,457 − 300,000 = 576,543 more, to the micro.
        #expect(refusal(ledger.admit(request([scope], cost: 576_544))) != nil)
        let last = try #require(settlement(ledger.admit(request([scope], cost: 576_543))))
        held[2].settle(cost: 400_000, tokens: 10, status: 200)  // more than reserved: spent anyway
        last.settle(cost: 1, tokens: 1, status: 200)
        spend = ledger.spend(of: [scope], now: Self.lastMinuteOf2026)
        #expect(spend.first?.spent == 523_458 && spend.first?.reserved == 0)
        #expect(ledger.totals.reserved == 0 && ledger.totals.inFlight == 0)
    }

    @Test("all or nothing: one scope refusing counts nothing in the others")
    func allOrNothing() throws {
        let ledger = LocalLedger()
        let key = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 10_000, period: .total), limits: RateLimitSettings(requestsPerMinute: 1, concurrency: 1))
        let team = LedgerScope(kind: .team, name: "t", budget: SpendLimit(limit: 100, period: .monthly), limits: nil)
        let refused = try #require(refusal(ledger.admit(request([key, team], cost: 500))))
        #expect(refused.code == "budget_exceeded" && refused.message.contains("team t"))
        #expect(ledger.totals.reserved == 0 && ledger.totals.inFlight == 0 && ledger.totals.slots == 0)
        // The key's one request per minute and one slot are still free.
        let admitted = try #require(settlement(ledger.admit(request([key], cost: 500))))
        admitted.settle(cost: 400, tokens: 1, status: 200)
        #expect(ledger.spent("key:k", .total) == 400 && ledger.spent("team:t", .monthly) == 0)
    }

    @Test("rollover: a new day starts from 0; a request admitted yesterday settles into yesterday")
    func rollover() throws {
        let ledger = LocalLedger()
        let scope = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: 1000, period: .daily), limits: nil)
        let lastMonth = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: 1000, period: .monthly), limits: nil)
        let late = try #require(settlement(ledger.admit(request([scope, lastMonth], cost: 900))))
        #expect(refusal(ledger.admit(request([scope], cost: 200))) != nil)
        let tomorrow = Self.lastMinuteOf2026 + 120 * Self.second  // 2027-01-01 00:01: a new day and a new month
        let early = try #require(settlement(ledger.admit(request([scope, lastMonth], cost: 900, at: tomorrow))))
        late.settle(cost: 700, tokens: 1, status: 200)
        #expect(ledger.spend(of: [scope], now: tomorrow).first?.spent == 0)
        #expect(ledger.spend(of: [scope], now: tomorrow).first?.reserved == 900)
        early.settle(cost: 50, tokens: 1, status: 200)
        #expect(ledger.spend(of: [scope, lastMonth], now: tomorrow).map(\.spent) == [50, 50])
        #expect(ledger.totals.reserved == 0)
    }

    @Test("a second settle changes nothing and is counted")
    func doubleSettle() throws {
        LocalSettlement.assertsOnDoubleSettle.store(false, ordering: .relaxed)
        defer { LocalSettlement.assertsOnDoubleSettle.store(true, ordering: .relaxed) }
        let ledger = LocalLedger()
        let scope = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: 1000, period: .total), limits: RateLimitSettings(concurrency: 1))
        let held = try #require(settlement(ledger.admit(request([scope], cost: 100))))
        held.settle(cost: 80, tokens: 1, status: 200)
        held.settle(cost: 80, tokens: 1, status: 200)
        #expect(ledger.spent("user:u", .total) == 80)
        #expect(ledger.totals.doubleSettlements == 1 && ledger.totals.slots == 0 && ledger.totals.inFlight == 0)
    }

    @Test("spend persists in spend_totals and is read back for the current windows only")
    func persistence() throws {
        let scratch = ScratchFile()
        defer { scratch.remove() }
        let now = unixNanoseconds()
        do {
            let store = try Store(StoreOptions(path: scratch.path))
            let ledger = LocalLedger(store: store)
            let scope = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 1_000_000, period: .daily), limits: nil)
            let total = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 1_000_000, period: .total), limits: nil)
            for cost in [Micros(1234), 0, 4321] {
                let held = try #require(settlement(ledger.admit(request([scope, total], cost: 10_000, at: now))))
                held.settle(cost: cost, tokens: 1, status: 200)
            }
            // Yesterday's row is not today's spend.
            store.write { db throws(StoreError) in
                try SpendTotal.add([SpendTotal(scope: "key:k", period: .daily, windowStart: PeriodWindow.start(.daily, at: Int64(now / Self.second)) - 86_400, spent: 999)], db)
            }
            store.close()
        }
        let store = try Store(StoreOptions(path: scratch.path))
        defer { store.close() }
        let seconds = Int64(now / Self.second)
        let rows = try store.readWaiting { db throws(StoreError) in try SpendTotal.current(at: seconds, db) }
        #expect(Set(rows.map { "\($0.period.rawValue)=\($0.spent)" }) == ["daily=5555", "total=5555"])
        let ledger = LocalLedger(store: store, persisted: rows)
        let scope = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 1_000_000, period: .daily), limits: nil)
        #expect(ledger.spend(of: [scope], now: now).first?.spent == 5555)
    }

    /// The property run: many threads, 10,000 requests, faults of every kind.
    @Test("10,000 requests from many threads with faults: no leaks, spend exact, overrun bounded")
    func property() async throws {
        LocalSettlement.assertsOnDoubleSettle.store(false, ordering: .relaxed)
        defer { LocalSettlement.assertsOnDoubleSettle.store(true, ordering: .relaxed) }
        for overrun in [false, true] {
            try await propertyRun(usageMayExceedEstimate: overrun)
        }
    }

    func propertyRun(usageMayExceedEstimate: Bool) async throws {
        let run = PropertyRun(usageMayExceedEstimate: usageMayExceedEstimate)
        let threads = 16
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<threads {
                group.addTask { await run.requests(10_000 / threads) }
            }
        }
        let ledger = run.ledger
        let limit = run.limit
        let estimate = run.estimate
        let totals = ledger.totals
        #expect(totals.reserved == 0)
        #expect(totals.inFlight == 0)
        #expect(totals.slots == 0)
        #expect(totals.doubleSettlements == run.doubles.load(ordering: .relaxed))
        #expect(ledger.spent("key:k", .total) == run.settledSum.load(ordering: .relaxed))
        #expect(ledger.spent("user:u", .total) == run.settledSum.load(ordering: .relaxed))
        #expect(run.violations.load(ordering: .relaxed) == 0)
        // The budget ran out during the run: refusals happened, and spend reached near the limit.
        #expect(run.admitted.load(ordering: .relaxed) < 10_000)
        #expect(ledger.spent("key:k", .total) > limit - 2 * estimate * 12)
    }
}

/// The shared state of the property run's threads.
final class PropertyRun: Sendable {
    let ledger = LocalLedger()
    let limit: Micros = 2_000_000
    let estimate: Micros = 1_000
    let usageMayExceedEstimate: Bool
    let key: LedgerScope
    let user: LedgerScope
    let settledSum = Atomic<Int64>(0)
    let doubles = Atomic<Int>(0)
    let admitted = Atomic<Int>(0)
    let violations = Atomic<Int>(0)

    init(usageMayExceedEstimate: Bool) {
        self.usageMayExceedEstimate = usageMayExceedEstimate
        key = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: limit, period: .total), limits: RateLimitSettings(concurrency: 12))
        user = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: limit * 2, period: .total), limits: RateLimitSettings(requestsPerMinute: 1_000_000))
    }

    func requests(_ count: Int) async {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<count {
            let decision = ledger.admit(AdmissionRequest(
                requestID: "r", scopes: [key, user], estimatedCost: estimate, estimatedTokens: 10, now: unixNanoseconds()))
            guard case .admitted(let held) = decision else { continue }
            admitted.add(1, ordering: .relaxed)
            if Int.random(in: 0..<4, using: &random) == 0 { await Task.yield() }  // others run while this one is in flight
            let cost: Micros
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1: cost = 0                                                       // failed: refund
            case 2: cost = Micros.random(in: 0...estimate / 2, using: &random)        // abandoned: known usage only
            case 3 where usageMayExceedEstimate: cost = Micros.random(in: estimate...2 * estimate, using: &random)  // more than estimated
            default: cost = Micros.random(in: 1...estimate, using: &random)
            }
            held.settle(cost: cost, tokens: 10, status: cost == 0 ? 502 : 200)
            settledSum.add(cost, ordering: .relaxed)
            if Int.random(in: 0..<20, using: &random) == 0 {
                held.settle(cost: cost, tokens: 10, status: 200)  // must change nothing
                doubles.add(1, ordering: .relaxed)
            }
            // Spent may pass the limit only by the overrun of requests in flight with this one
            // (at most 12, the key's concurrency), each at most its own reservation.
            let spent = ledger.spend(of: [key], now: 0).first!.spent
            if spent > (usageMayExceedEstimate ? limit + 12 * estimate : limit) { violations.add(1, ordering: .relaxed) }
        }
    }
}
