import Glibc
import RedisTestSupport
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardPosix
import SwitchyardRedis
import SwitchyardStore
import Testing

/// `GovernanceLedger.charge`: spend added without a reservation (a batch's cost, once its
/// usage is recorded), never refused, in each budget's current window; persisted like a
/// settlement by the local ledger, on the admission script's keys by the Redis ledger, and the
/// two agree.
@Suite(.serialized) struct LedgerChargeTests {
    /// 2026-12-31 23:59:00 UTC, in ns.
    static let lastMinuteOf2026: UInt64 = 1_798_761_540 * 1_000_000_000
    static let second: UInt64 = 1_000_000_000

    static let key = LedgerScope(kind: .key, name: "key_ab12", budget: SpendLimit(limit: 1_000_000, period: .daily), limits: nil,
                                 label: "key key_ab12 (sk-sy-AbCd…)")
    static let team = LedgerScope(kind: .team, name: "t", budget: SpendLimit(limit: 5_000_000, period: .total), limits: nil)
    static let model = LedgerScope(kind: .model, name: "m", budget: nil, limits: RateLimitSettings(requestsPerMinute: 5))

    func request(_ scopes: [LedgerScope], cost: Micros, at now: UInt64 = lastMinuteOf2026) -> AdmissionRequest {
        AdmissionRequest(requestID: "req", scopes: scopes, estimatedCost: cost, estimatedTokens: 0, now: now)
    }

    @Test("local: a charge adds to every budget's current window, is never refused, and refuses the next admission past the limit")
    func localCharge() throws {
        let ledger = LocalLedger()
        let scopes = [Self.key, Self.team, Self.model]
        ledger.charge(600_000, to: scopes, now: Self.lastMinuteOf2026)
        ledger.charge(700_000, to: scopes, now: Self.lastMinuteOf2026)  // past the key's limit: still counted
        ledger.charge(0, to: scopes, now: Self.lastMinuteOf2026)
        ledger.charge(-5, to: scopes, now: Self.lastMinuteOf2026)
        #expect(ledger.spend(of: scopes, now: Self.lastMinuteOf2026) == [
            ScopeSpend(scope: "key:key_ab12", period: .daily, limit: 1_000_000, spent: 1_300_000, reserved: 0, resetsAt: 1_798_761_600),
            ScopeSpend(scope: "team:t", period: .total, limit: 5_000_000, spent: 1_300_000, reserved: 0, resetsAt: nil),
        ])
        guard case .refused(let refusal) = ledger.admit(request([Self.key], cost: 1)) else {
            Issue.record("admitted past a charged budget")
            return
        }
        #expect(refusal.code == "budget_exceeded" && refusal.message.contains("spent 1.30"))
        #expect(ledger.totals.reserved == 0 && ledger.totals.inFlight == 0)
        // Tomorrow the daily budget starts from 0; the total one keeps the charge.
        let tomorrow = Self.lastMinuteOf2026 + 120 * Self.second
        ledger.charge(1, to: scopes, now: tomorrow)
        #expect(ledger.spend(of: scopes, now: tomorrow).map(\.spent) == [1, 1_300_001])
    }

    @Test("local: a charge is persisted in spend_totals like a settlement and read back at start")
    func localPersistence() throws {
        let scratch = ScratchFile()
        defer { scratch.remove() }
        let now = unixNanoseconds()
        do {
            let store = try Store(StoreOptions(path: scratch.path))
            let ledger = LocalLedger(store: store)
            ledger.charge(4321, to: [Self.key, Self.team, Self.model], now: now)
            guard case .admitted(let held) = ledger.admit(request([Self.key], cost: 10, at: now)) else {
                Issue.record("refused")
                return
            }
            held.settle(cost: 1234, tokens: 1, status: 200)
            store.close()
        }
        let store = try Store(StoreOptions(path: scratch.path))
        defer { store.close() }
        let rows = try store.readWaiting { db throws(StoreError) in try SpendTotal.current(at: Int64(now / Self.second), db) }
        #expect(Set(rows.map { "\($0.scope) \($0.period.rawValue)=\($0.spent)" }) == ["key:key_ab12 daily=5555", "team:t total=4321"])
        let ledger = LocalLedger(store: store, persisted: rows)
        #expect(ledger.spend(of: [Self.key], now: now).first?.spent == 5555)
    }

    @Test("redis: a charge adds to the spent keys the admission script reads, with the window's expiry, and agrees with the local ledger")
    func redisCharge() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let local = LocalLedger()
        let scopes = [Self.key, Self.team, Self.model]
        for cost: Micros in [600_000, 700_000, 0, -5] {
            let ledger = replica.ledger
            replica.loop.loop.execute { ledger.charge(cost, to: scopes, now: Self.lastMinuteOf2026, on: replica.loop.loop) }
            replica.drain()
            local.charge(cost, to: scopes, now: Self.lastMinuteOf2026)
        }
        let spend = replica.spend(scopes, now: Self.lastMinuteOf2026)
        #expect(spend == local.spend(of: scopes, now: Self.lastMinuteOf2026))
        #expect(spend.map(\.spent) == [1_300_000, 1_300_000])
        #expect(replica.command(["GET", "sy:spent:key:key_ab12:daily:1798675200"]) == .bulk(Array("1300000".utf8)))
        let refusal = try #require(replica.admit(AdmissionRequest(requestID: "r", scopes: [Self.key], estimatedCost: 1, estimatedTokens: 0,
                                                                  now: Self.lastMinuteOf2026)).refusal)
        #expect(refusal == local.admit(request([Self.key], cost: 1)).refusal)
        guard case .integer(let ttl) = replica.command(["TTL", "sy:spent:key:key_ab12:daily:1798675200"]) else {
            Issue.record("spent has no TTL")
            return
        }
        #expect(ttl > 7 * 86_400 && ttl <= 7 * 86_400 + 60)
        #expect(replica.command(["TTL", "sy:spent:team:t:total:0"]) == .integer(-1))
        #expect(replica.command(["KEYS", "sy:*model*"]) == .array([]), "a scope without a budget is not charged")
    }

    @Test("redis: a charge Redis does not take is counted by this replica's own counters under fail_open")
    func redisChargeUnavailable() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, timeoutMs: 100)
        defer { replica.stop() }
        server.stop()
        let ledger = replica.ledger
        replica.loop.loop.execute { ledger.charge(2500, to: [Self.key], now: Self.lastMinuteOf2026, on: replica.loop.loop) }
        #expect(TestLoop.eventually { replica.fallback.spent("key:key_ab12", .daily) == 2500 })
    }
}
