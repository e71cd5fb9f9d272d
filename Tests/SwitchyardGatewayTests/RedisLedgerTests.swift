import Glibc
import RedisTestSupport
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardPosix
import SwitchyardRedis
import Testing

/// The Redis ledger against a real redis-server: the local ledger's cases (windows, budgets to
/// the micro, refunds, all or nothing, rollover), leases that free a crashed holder's slots,
/// two replicas sharing limits and budgets, and the same answers as the local ledger.
@Suite(.serialized) struct RedisLedgerTests {
    /// 2026-12-31 23:59:00 UTC, in ns.
    static let lastMinuteOf2026: UInt64 = 1_798_761_540 * 1_000_000_000
    static let second: UInt64 = 1_000_000_000

    func request(_ scopes: [LedgerScope], cost: Micros = 0, tokens: Int = 0, at now: UInt64 = lastMinuteOf2026, id: String = "req") -> AdmissionRequest {
        AdmissionRequest(requestID: id, scopes: scopes, estimatedCost: cost, estimatedTokens: tokens, now: now)
    }

    @Test("requests per minute: the local ledger's refusal, Retry-After and headers, and the sliding window")
    func requestsPerMinute() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let scope = LedgerScope(kind: .user, name: "alice", budget: nil, limits: RateLimitSettings(requestsPerMinute: 2))
        let start = Self.lastMinuteOf2026
        let first = try #require(replica.admit(request([scope], at: start)).settlement)
        #expect(first.responseHeaders.first { $0.name == "x-ratelimit-remaining-requests" }?.value == "1")
        _ = try #require(replica.admit(request([scope], at: start + 10 * Self.second)).settlement)
        let refused = try #require(replica.admit(request([scope], at: start + 30 * Self.second)).refusal)
        #expect(refused.status == 429 && refused.type == "rate_limit_exceeded" && refused.code == "rate_limit_exceeded")
        #expect(refused.retryAfter == 60)
        #expect(refused.message == "Rate limit reached for user alice: 2 requests per minute; retry in 60 s.")
        let headers = Dictionary(uniqueKeysWithValues: refused.headers.map { ($0.name, $0.value) })
        #expect(headers["x-ratelimit-limit-requests"] == "2")
        #expect(headers["x-ratelimit-remaining-requests"] == "0")
        #expect(headers["x-ratelimit-reset-requests"] == "1m30s")
        #expect(replica.admit(request([scope], at: start + 90 * Self.second)).settlement != nil)
        #expect(replica.admit(request([scope], at: start + 90 * Self.second)).refusal != nil)
        #expect(replica.admit(request([scope], at: start + 200 * Self.second)).settlement != nil)
    }

    @Test("tokens per minute count the real tokens at settlement; one request over the whole limit runs alone")
    func tokensPerMinute() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let scope = LedgerScope(kind: .model, name: "echo-1", budget: nil, limits: RateLimitSettings(tokensPerMinute: 100))
        let now = replica.ledger.clock.now()
        let big = try #require(replica.admit(request([scope], tokens: 500, at: now)).settlement)
        replica.settle(big, cost: 0, tokens: 90)
        let refused = try #require(replica.admit(request([scope], tokens: 20, at: now)).refusal)
        #expect(refused.message.hasPrefix("Rate limit reached for model echo-1: 100 tokens per minute; retry in"))
        #expect(replica.admit(request([scope], tokens: 10, at: now)).settlement != nil)
    }

    @Test("concurrency: a slot frees when its request settles")
    func concurrency() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let scope = LedgerScope(kind: .team, name: "research", budget: nil, limits: RateLimitSettings(concurrency: 2))
        let one = try #require(replica.admit(request([scope])).settlement)
        _ = try #require(replica.admit(request([scope])).settlement)
        let refused = try #require(replica.admit(request([scope])).refusal)
        #expect(refused.message == "Concurrency limit reached for team research: 2 requests in flight; retry when one finishes.")
        #expect(refused.retryAfter == 1)
        replica.settle(one, cost: 0, tokens: 0, status: 500)
        #expect(replica.admit(request([scope])).settlement != nil)
        #expect(replica.command(["ZCARD", "sy:conc:team:research"]) == .integer(2))
    }

    @Test("budgets: reservations and settlements exact to the micro; 0 refunds")
    func budgetExact() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let scope = LedgerScope(kind: .key, name: "key_ab12", budget: SpendLimit(limit: 1_000_000, period: .daily), limits: nil,
                                label: "key key_ab12 (sk-sy-AbCd…)")
        let held = try (0..<3).map { _ in try #require(replica.admit(request([scope], cost: 300_000)).settlement) }
        let refused = try #require(replica.admit(request([scope], cost: 300_000)).refusal)
        #expect(refused.status == 429 && refused.type == "insufficient_quota" && refused.code == "budget_exceeded")
        #expect(refused.headers.contains { $0.name == "x-should-retry" && $0.value == "false" })
        #expect(refused.retryAfter == 60)
        #expect(refused.message == "Budget exceeded for key key_ab12 (sk-sy-AbCd…): 1.00 USD per day (spent 0.00, reserved for requests in flight 0.90); it resets in 1m0s.")
        replica.settle(held[0], cost: 123_457, tokens: 10)
        replica.settle(held[1], cost: 0, tokens: 0, status: 502)
        var spend = replica.spend([scope], now: Self.lastMinuteOf2026)
        #expect(spend == [ScopeSpend(scope: "key:key_ab12", period: .daily, limit: 1_000_000, spent: 123_457, reserved: 300_000, resetsAt: 1_798_761_600)])
        #expect(replica.admit(request([scope], cost: 576_544)).refusal != nil)
        let last = try #require(replica.admit(request([scope], cost: 576_543)).settlement)
        replica.settle(held[2], cost: 400_000, tokens: 10)
        replica.settle(last, cost: 1, tokens: 1)
        spend = replica.spend([scope], now: Self.lastMinuteOf2026)
        #expect(spend.first?.spent == 523_458 && spend.first?.reserved == 0)
        // The window's keys expire a week after the day ends; the amounts hash is gone (empty).
        #expect(replica.command(["EXISTS", "sy:resv:amounts:key:key_ab12:daily:1798675200"]) == .integer(0))
        guard case .integer(let ttl) = replica.command(["TTL", "sy:spent:key:key_ab12:daily:1798675200"]) else {
            Issue.record("spent has no TTL")
            return
        }
        #expect(ttl > 7 * 86_400 && ttl <= 7 * 86_400 + 60)
    }

    @Test("all or nothing: one scope refusing counts nothing in the others")
    func allOrNothing() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let key = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 10_000, period: .total), limits: RateLimitSettings(requestsPerMinute: 1, concurrency: 1))
        let team = LedgerScope(kind: .team, name: "t", budget: SpendLimit(limit: 100, period: .monthly), limits: nil)
        let refused = try #require(replica.admit(request([key, team], cost: 500)).refusal)
        #expect(refused.code == "budget_exceeded" && refused.message.contains("team t"))
        #expect(replica.command(["KEYS", "sy:*"]) == .array([]), "a refusal writes nothing")
        let admitted = try #require(replica.admit(request([key], cost: 500)).settlement)
        replica.settle(admitted, cost: 400, tokens: 1)
        #expect(replica.spend([key, team], now: Self.lastMinuteOf2026).map(\.spent) == [400, 0])
    }

    @Test("rollover: a new day starts from 0; a request admitted yesterday settles into yesterday")
    func rollover() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let scope = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: 1000, period: .daily), limits: nil)
        let lastMonth = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: 1000, period: .monthly), limits: nil)
        let late = try #require(replica.admit(request([scope, lastMonth], cost: 900)).settlement)
        #expect(replica.admit(request([scope], cost: 200)).refusal != nil)
        let tomorrow = Self.lastMinuteOf2026 + 120 * Self.second
        let early = try #require(replica.admit(request([scope, lastMonth], cost: 900, at: tomorrow)).settlement)
        replica.settle(late, cost: 700, tokens: 1)
        #expect(replica.spend([scope], now: tomorrow).first?.spent == 0)
        #expect(replica.spend([scope], now: tomorrow).first?.reserved == 900)
        replica.settle(early, cost: 50, tokens: 1)
        #expect(replica.spend([scope, lastMonth], now: tomorrow).map(\.spent) == [50, 50])
        #expect(replica.spend([scope, lastMonth], now: Self.lastMinuteOf2026).map(\.spent) == [700, 700])
    }

    @Test("settling twice, or a retried settlement that got through, changes nothing twice")
    func settleOnce() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let scope = LedgerScope(kind: .user, name: "u", budget: SpendLimit(limit: 1000, period: .total), limits: RateLimitSettings(concurrency: 1))
        let held = try #require(replica.admit(request([scope], cost: 100)).settlement as? RedisLedgerSettlement)
        replica.settle(held, cost: 80, tokens: 1)
        replica.settle(held, cost: 80, tokens: 1)
        #expect(replica.ledger.counters.doubleSettlements == 1)
        // The script itself, run again as a retry would: 0, nothing counted twice.
        let (keys, arguments) = held.script(cost: 80, tokens: 1, nowMilliseconds: Int64(Self.lastMinuteOf2026 / 1_000_000))
        let client = replica.client
        let again = replica.loop.wait { (eventLoop, done: @escaping (Result<RedisReply, RedisFailure>) -> Void) in
            client.evaluate(RedisLedgerScripts.settle, keys: keys, arguments: arguments, on: eventLoop, then: done)
        }
        #expect(again == .success(.integer(0)))
        #expect(replica.spend([scope], now: Self.lastMinuteOf2026).first?.spent == 80)
        #expect(replica.command(["ZCARD", "sy:conc:user:u"]) == .integer(0))
    }

    @Test("a crashed replica's slots and reservations free themselves when their leases expire")
    func leasesExpire() throws {
        let server = try RedisServerProcess()
        let crashed = try RedisReplica(server)
        let scope = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 1000, period: .total), limits: RateLimitSettings(concurrency: 1))
        _ = try #require(crashed.admit(request([scope], cost: 600)).settlement)
        crashed.stop()  // never settles
        let survivor = try RedisReplica(server)
        defer { survivor.stop() }
        let refused = try #require(survivor.admit(request([scope], cost: 600, at: Self.lastMinuteOf2026 + 60 * Self.second)).refusal)
        #expect(refused.message.hasPrefix("Concurrency limit reached for key k"))
        // Past the lease (10 minutes): the slot and the reservation are gone.
        let later = Self.lastMinuteOf2026 + 601 * Self.second
        let admitted = try #require(survivor.admit(request([scope], cost: 600, at: later)).settlement)
        #expect(survivor.spend([scope], now: later).first?.reserved == 600)
        survivor.settle(admitted, cost: 600, tokens: 1)
        #expect(survivor.spend([scope], now: later).first.map { ($0.spent, $0.reserved) } ?? (-1, -1) == (600, 0))
    }

    @Test("two replicas share limits and budgets")
    func twoReplicas() throws {
        let server = try RedisServerProcess()
        let a = try RedisReplica(server)
        let b = try RedisReplica(server)
        defer { a.stop(); b.stop() }
        let scope = LedgerScope(kind: .team, name: "shared", budget: SpendLimit(limit: 1000, period: .monthly),
                                limits: RateLimitSettings(requestsPerMinute: 5, concurrency: 3))
        let one = try #require(a.admit(request([scope], cost: 300)).settlement)
        _ = try #require(b.admit(request([scope], cost: 300)).settlement)
        _ = try #require(a.admit(request([scope], cost: 300)).settlement)
        // Three in flight across both: B is refused for concurrency.
        #expect(b.admit(request([scope], cost: 10)).refusal?.message.hasPrefix("Concurrency limit reached for team shared: 3") == true)
        a.settle(one, cost: 350, tokens: 1)
        // 350 spent + 600 reserved: B may reserve 50, not 51.
        #expect(b.admit(request([scope], cost: 51)).refusal?.code == "budget_exceeded")
        let fifth = try #require(b.admit(request([scope], cost: 50)).settlement)
        b.settle(fifth, cost: 0, tokens: 0)
        let sixth = try #require(a.admit(request([scope], cost: 0)).settlement)
        a.settle(sixth, cost: 0, tokens: 0)
        // Five requests counted this minute by the two: the next is refused for rpm.
        let rpm = try #require(b.admit(request([scope], cost: 0)).refusal)
        #expect(rpm.message.hasPrefix("Rate limit reached for team shared: 5 requests per minute; retry in"))
        #expect(a.spend([scope], now: Self.lastMinuteOf2026) == b.spend([scope], now: Self.lastMinuteOf2026))
    }

    @Test("the same answers as the local ledger, request after request")
    func parityWithLocal() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server)
        defer { replica.stop() }
        let local = LocalLedger(currency: "USD")
        let scopes = [
            LedgerScope(kind: .key, name: "k1", budget: SpendLimit(limit: 5_000, period: .daily), limits: RateLimitSettings(requestsPerMinute: 7, tokensPerMinute: 900, concurrency: 3)),
            LedgerScope(kind: .user, name: "u1", budget: SpendLimit(limit: 8_000, period: .monthly), limits: RateLimitSettings(requestsPerMinute: 9)),
            LedgerScope(kind: .team, name: "t1", budget: SpendLimit(limit: 20_000, period: .total), limits: RateLimitSettings(concurrency: 4)),
            LedgerScope(kind: .model, name: "m1", budget: nil, limits: RateLimitSettings(tokensPerMinute: 1500)),
        ]
        var generator = SplitMix(seed: 27)
        var held: [(any Settlement, any Settlement)] = []
        var now = Self.lastMinuteOf2026 - 300 * Self.second
        var compared = 0
        for step in 0..<300 {
            now += UInt64(generator.next() % 3) * Self.second + UInt64(generator.next() % 1000) * 1_000_000
            let chosen = scopes.filter { _ in generator.next() % 3 != 0 }
            let admission = request(chosen, cost: Micros(generator.next() % 900), tokens: Int(generator.next() % 400), at: now, id: "r\(step)")
            let remote = replica.admit(admission)
            let mine = local.admit(admission)
            compared += 1
            switch (remote, mine) {
            case (.admitted(let r), .admitted(let l)):
                #expect(r.responseHeaders.map { "\($0.name)=\($0.value)" } == l.responseHeaders.map { "\($0.name)=\($0.value)" }, "step \(step)")
                held.append((r, l))
            case (.refused(let r), .refused(let l)):
                #expect(r == l && r.message == l.message && r.retryAfter == l.retryAfter, "step \(step): \(r) vs \(l)")
                #expect(r.headers.map { "\($0.name)=\($0.value)" } == l.headers.map { "\($0.name)=\($0.value)" }, "step \(step)")
            default:
                Issue.record("step \(step): redis \(remote.refusal?.message ?? "admitted"), local \(mine.refusal?.message ?? "admitted")")
            }
            // Settle some of those in flight (no tokens: the local ledger counts settled tokens at
            // its clock's minute, not the simulated one).
            while !held.isEmpty, generator.next() % 2 == 0 {
                let (r, l) = held.removeFirst()
                let cost = Micros(generator.next() % 1000)
                replica.settle(r, cost: cost, tokens: 0)
                l.settle(cost: cost, tokens: 0, status: 200)
            }
        }
        #expect(compared == 300)
        #expect(replica.spend(scopes, now: now) == local.spend(of: scopes, now: now))
    }
}
