import Glibc
import RedisTestSupport
import Synchronization
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardPosix
import SwitchyardRedis
import Testing

/// Thousands of admissions and settlements from two replicas at once, with faults (failed
/// requests refunded, holders that never settle, double settlements): nothing leaks, spend is
/// exact, limits hold; and the per-request cost of admission plus settlement through Redis.
@Suite(.serialized) struct RedisLedgerStressTests {
    /// Keeps `window` requests in flight on one replica's loop until `total` were tried.
    /// Confined to that loop.
    /// Requests admitted and not yet settled, both replicas together, and the most seen.
    final class InFlight: Sendable {
        let now = Atomic<Int>(0)
        let most = Atomic<Int>(0)
    }

    final class Driver: @unchecked Sendable {
        let ledger: RedisLedger
        let scopes: [LedgerScope]
        let estimate: Micros
        let total: Int
        let window: Int
        let inFlight: InFlight
        var generator: SplitMix
        var started = 0
        var finished = 0
        var admitted = 0
        var refused = 0
        var abandoned = 0
        var settledCost: Micros = 0
        var refusals: [String: Int] = [:]
        var done: (() -> Void)?

        init(ledger: RedisLedger, scopes: [LedgerScope], estimate: Micros, total: Int, window: Int, seed: UInt64, inFlight: InFlight) {
            self.ledger = ledger
            self.scopes = scopes
            self.estimate = estimate
            self.total = total
            self.window = window
            self.generator = SplitMix(seed: seed)
            self.inFlight = inFlight
        }

        func start(on loop: EventLoop) {
            for _ in 0..<window { next(on: loop) }
        }

        private func next(on loop: EventLoop) {
            guard started < total else { return }
            started += 1
            let request = AdmissionRequest(requestID: "s\(started)", scopes: scopes, estimatedCost: estimate, estimatedTokens: 10, now: unixNanoseconds())
            ledger.admit(request, on: loop) { [self] decision in
                switch decision {
                case .refused(let error):
                    refused += 1
                    refusals[error.code ?? "?", default: 0] += 1
                    finish(on: loop)
                case .admitted(let settlement):
                    admitted += 1
                    let now = inFlight.now.add(1, ordering: .relaxed).newValue
                    _ = inFlight.most.max(now, ordering: .relaxed)
                    let fate = generator.next() % 100
                    if fate < 3, abandoned < 5 {
                        // A holder that crashed: never settles (its lease frees it).
                        abandoned += 1
                        finish(on: loop)
                        return
                    }
                    let cost: Micros = fate < 20 ? 0 : Micros(generator.next() % UInt64(estimate + 1))
                    loop.schedule(after: (generator.next() % 2_000) * 1_000) { [self] in
                        inFlight.now.subtract(1, ordering: .relaxed)
                        settlement.settle(cost: cost, tokens: 5, status: cost == 0 ? 502 : 200)
                        if fate >= 97 { settlement.settle(cost: cost, tokens: 5, status: 200) }  // a bug settling twice: ignored
                        settledCost += cost
                        finish(on: loop)
                    }
                }
            }
        }

        private func finish(on loop: EventLoop) {
            finished += 1
            if finished == total { done?() } else { next(on: loop) }
        }
    }

    @Test("4,000 admissions from two replicas with faults: no leak, spend exact, never over the limits")
    func stress() throws {
        let server = try RedisServerProcess()
        let a = try RedisReplica(server, policy: .failClosed, timeoutMs: 2000)
        let b = try RedisReplica(server, policy: .failClosed, timeoutMs: 2000)
        defer { a.stop(); b.stop() }
        let concurrency = 24
        let limit: Micros = 30_000_000
        let estimate: Micros = 20_000
        let key = LedgerScope(kind: .key, name: "stress", budget: SpendLimit(limit: limit, period: .monthly), limits: RateLimitSettings(concurrency: concurrency))
        let team = LedgerScope(kind: .team, name: "stress", budget: SpendLimit(limit: limit * 2, period: .total), limits: nil)
        let inFlight = InFlight()
        let drivers = [a, b].enumerated().map { index, replica in
            Driver(ledger: replica.ledger, scopes: [key, team], estimate: estimate, total: 2000, window: 20, seed: UInt64(index + 1),
                   inFlight: inFlight)
        }
        let finished = Atomic<Int>(0)
        for (driver, replica) in zip(drivers, [a, b]) {
            replica.loop.loop.execute {
                driver.done = { finished.add(1, ordering: .relaxed) }
                driver.start(on: replica.loop.loop)
            }
        }
        #expect(TestLoop.eventually(seconds: 60) { finished.load(ordering: .relaxed) == 2 })
        a.drain()
        b.drain()
        let abandoned = drivers.reduce(0) { $0 + $1.abandoned }
        let admitted = drivers.reduce(0) { $0 + $1.admitted }
        let spentExpected = drivers.reduce(Micros(0)) { $0 + $1.settledCost }
        #expect(admitted > 1000, "refusals: \(drivers.map { $0.refusals })")
        #expect(inFlight.most.load(ordering: .relaxed) <= concurrency)
        #expect(a.ledger.counters.failClosedRefusals == 0 && b.ledger.counters.failClosedRefusals == 0)
        #expect(a.ledger.counters.doubleSettlements + b.ledger.counters.doubleSettlements > 0)
        // Only the abandoned hold anything; spend is exactly what was settled, under the limit.
        #expect(a.command(["ZCARD", "sy:conc:key:stress"]) == .integer(Int64(abandoned)))
        let now = unixNanoseconds()
        let spend = a.spend([key, team], now: now)
        #expect(spend.map(\.spent) == [spentExpected, spentExpected])
        #expect(spend.map(\.reserved) == [estimate * Micros(abandoned), estimate * Micros(abandoned)])
        #expect(spentExpected + estimate * Micros(abandoned) <= limit)
        // Past the lease, the abandoned holds are gone too.
        let later = now + 601 * 1_000_000_000
        #expect(a.spend([key, team], now: later).map(\.reserved) == [0, 0])
        let next = a.admit(AdmissionRequest(requestID: "after", scopes: [key], estimatedCost: 0, estimatedTokens: 0, now: later))
        #expect(next.settlement != nil)
        #expect(a.command(["ZCARD", "sy:conc:key:stress"]) == .integer(1))
    }

    /// The issue's measurement: what admission plus settlement through Redis costs a request on
    /// loopback. Printed; bounded loosely so a broken client (a timeout per request) fails.
    @Test("benchmark: admission + settlement round trips and throughput on loopback")
    func benchmark() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed, timeoutMs: 2000)
        defer { replica.stop() }
        let scopes = [
            LedgerScope(kind: .key, name: "bench", budget: SpendLimit(limit: Micros.max / 4, period: .monthly), limits: RateLimitSettings(requestsPerMinute: 10_000_000, tokensPerMinute: 1_000_000_000, concurrency: 10_000)),
            LedgerScope(kind: .user, name: "bench", budget: SpendLimit(limit: Micros.max / 4, period: .daily), limits: nil),
            LedgerScope(kind: .model, name: "bench", budget: nil, limits: RateLimitSettings(requestsPerMinute: 10_000_000)),
        ]
        // Sequential: one request at a time, admission then settlement answered.
        let sequential = 2000
        let client = replica.client
        let elapsedSequential = replica.loop.wait(seconds: 60) { (loop, done: @escaping (UInt64) -> Void) in
            let started = monotonicNanoseconds()
            var remaining = sequential
            func one() {
                let request = AdmissionRequest(requestID: "b\(remaining)", scopes: scopes, estimatedCost: 1000, estimatedTokens: 100, now: unixNanoseconds())
                replica.ledger.admit(request, on: loop) { decision in
                    decision.settlement?.settle(cost: 900, tokens: 120, status: 200)
                    client.command(["PING"], on: loop) { _ in  // the settlement answered too
                        remaining -= 1
                        if remaining == 0 { done(monotonicNanoseconds() - started) } else { one() }
                    }
                }
            }
            one()
        }
        // Pipelined: 64 requests in flight from the loop.
        let pipelined = 20_000
        let elapsedPipelined = replica.loop.wait(seconds: 120) { (loop, done: @escaping (UInt64) -> Void) in
            let started = monotonicNanoseconds()
            var issued = 0
            var finished = 0
            func one() {
                guard issued < pipelined else { return }
                issued += 1
                let request = AdmissionRequest(requestID: "p\(issued)", scopes: scopes, estimatedCost: 1000, estimatedTokens: 100, now: unixNanoseconds())
                replica.ledger.admit(request, on: loop) { decision in
                    decision.settlement?.settle(cost: 900, tokens: 120, status: 200)
                    finished += 1
                    if finished == pipelined {
                        client.command(["PING"], on: loop) { _ in done(monotonicNanoseconds() - started) }
                    } else {
                        one()
                    }
                }
            }
            for _ in 0..<64 { one() }
        }
        let sequentialNs = try #require(elapsedSequential)
        let pipelinedNs = try #require(elapsedPipelined)
        let perRequestUs = Double(sequentialNs) / Double(sequential) / 1000
        let throughput = Double(pipelined) / (Double(pipelinedNs) / 1e9)
        print("redis ledger benchmark: sequential admit+settle \(String(format: "%.1f", perRequestUs)) µs per request (3 scopes); pipelined (64 in flight, one loop) \(Int(throughput)) requests/s")
        #expect(perRequestUs < 20_000)
        #expect(replica.ledger.counters.settlementsLost == 0)
        #expect(replica.command(["ZCARD", "sy:conc:key:bench"]) == .integer(0))
    }
}
