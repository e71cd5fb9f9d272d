import Glibc
import Synchronization
@testable import SwitchyardGateway
import SwitchyardConfig
import SwitchyardCore
import SwitchyardPosix
import SwitchyardStore
import RedisTestSupport
import Testing

/// What the local ledger keeps stays bounded: model names a client invents share the
/// `rate_limits.models.default` counters, empty counters are swept out, and spend reaches the
/// store in one job per flush, not one per settlement.
@Suite(.serialized) struct LedgerBoundsTests {
    static let second: UInt64 = 1_000_000_000
    /// 2026-12-31 23:59:00 UTC, in ns.
    static let lastMinuteOf2026: UInt64 = 1_798_761_540 * second

    func admitted(_ decision: AdmissionDecision) -> (any Settlement)? {
        if case .admitted(let settlement) = decision { return settlement }
        return nil
    }

    @Test("10,000 distinct model names under models.default: one set of counters, shared")
    func inventedModelNames() throws {
        let config = try ConfigLoader.parse(yaml: Array("""
            rate_limits:
              models: {default: {rpm: 100000}, echo-1: {rpm: 5}}
            """.utf8), sourceName: "t.yaml")
        let ledger = LocalLedger()
        let policy = try #require(GovernancePolicy(config: config, ledger: ledger, clock: LedgerClock()))
        for index in 0..<10_000 {
            let scopes = policy.scopes(caller: nil, model: "made-up-\(index)", admission: .generation(outputTokens: true))
            #expect(scopes.map(\.id) == ["model:default"])
            let held = try #require(admitted(ledger.admit(AdmissionRequest(
                requestID: "r", scopes: scopes, estimatedCost: 0, estimatedTokens: 1, now: Self.lastMinuteOf2026))))
            held.settle(cost: 0, tokens: 1, status: 200)
        }
        #expect(ledger.entries.rates == 1)
        // A model with its own entry counts under its own name.
        #expect(policy.scopes(caller: nil, model: "echo-1", admission: .requestsOnly).map(\.id) == ["model:echo-1"])
        let refusedByDefault = policy.scopes(caller: nil, model: "x", admission: .requestsOnly)
        #expect(refusedByDefault.first?.displayName == "models without their own entry (rate_limits.models.default)")
    }

    @Test("empty rate counters and budget books of past windows are swept out")
    func sweep() throws {
        let ledger = LocalLedger()
        let start = Self.lastMinuteOf2026
        var held: [any Settlement] = []
        for index in 0..<1_000 {
            let scope = LedgerScope(kind: .user, name: "u\(index)", budget: SpendLimit(limit: 1_000_000, period: .daily),
                                    limits: RateLimitSettings(requestsPerMinute: 10, tokensPerMinute: 1000, concurrency: 2))
            let settlement = try #require(admitted(ledger.admit(AdmissionRequest(
                requestID: "r", scopes: [scope], estimatedCost: 10, estimatedTokens: 1, now: start))))
            if index < 3 { held.append(settlement) } else { settlement.settle(cost: index % 2 == 0 ? 5 : 0, tokens: 0, status: 200) }
        }
        #expect(ledger.entries.rates == 1_000 && ledger.entries.budgets == 1_000)
        // Three minutes on (2027-01-01: a new day): only the scopes with a request in flight
        // keep counters; the other books (yesterday's, nothing reserved) are gone.
        let other = LedgerScope(kind: .team, name: "t", budget: nil, limits: RateLimitSettings(requestsPerMinute: 10))
        _ = try #require(admitted(ledger.admit(AdmissionRequest(requestID: "r", scopes: [other], estimatedCost: 0, estimatedTokens: 0,
                                                                 now: start + 180 * Self.second))))
        #expect(ledger.entries.rates == 4)
        #expect(ledger.entries.budgets == 3)
        for settlement in held { settlement.settle(cost: 1, tokens: 1, status: 200) }
        #expect(ledger.totals.reserved == 0 && ledger.totals.slots == 0)
        _ = ledger.admit(AdmissionRequest(requestID: "r", scopes: [other], estimatedCost: 0, estimatedTokens: 0, now: start + 400 * Self.second))
        #expect(ledger.entries.rates == 1 && ledger.entries.budgets == 0)
    }

    @Test("settled spend reaches the store as one job per flush, all of it, and at shutdown")
    func spendFlush() throws {
        let scratch = ScratchFile()
        defer { scratch.remove() }
        let loop = try TestLoop()
        defer { loop.stop() }
        // One job per transaction: the count of transactions is the count of jobs.
        var options = StoreOptions(path: scratch.path)
        options.maxWriteBatch = 1
        let store = try Store(options)
        let ledger = LocalLedger(store: store)
        let scope = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 1_000_000_000, period: .total), limits: nil)
        let before = store.writeBatches
        // 200 settlements within one flush delay, on the loop: one store job.
        let done: Bool? = loop.wait { eventLoop, reply in
            for _ in 0..<200 {
                ledger.admit(AdmissionRequest(requestID: "r", scopes: [scope], estimatedCost: 10, estimatedTokens: 1, now: unixNanoseconds()), on: eventLoop) { decision in
                    if case .admitted(let held) = decision { held.settle(cost: 7, tokens: 1, status: 200) }
                }
            }
            reply(true)
        }
        #expect(done == true)
        let total = { try store.readWaiting { db throws(StoreError) in try SpendTotal.current(at: 0, db).first?.spent ?? 0 } }
        #expect(TestLoop.eventually { (try? total()) == 1400 })
        #expect(store.writeBatches - before == 1)
        // Spend gathered but not yet written (its timer has not run): the shutdown flush writes it.
        let more: Bool? = loop.wait { eventLoop, reply in
            ledger.admit(AdmissionRequest(requestID: "r", scopes: [scope], estimatedCost: 10, estimatedTokens: 1, now: unixNanoseconds()), on: eventLoop) { decision in
                if case .admitted(let held) = decision { held.settle(cost: 3, tokens: 1, status: 200) }
            }
            ledger.flushSpend()
            reply(true)
        }
        #expect(more == true)
        store.close()
        let reopened = try Store(StoreOptions(path: scratch.path))
        defer { reopened.close() }
        #expect(try reopened.readWaiting { db throws(StoreError) in try SpendTotal.current(at: 0, db).first?.spent ?? 0 } == 1403)
    }
}
