import Glibc
import RedisTestSupport
import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardPosix
import SwitchyardRedis
import Testing

/// `on_unavailable` with Redis stopped or not answering, and the figures `/metrics` shows.
@Suite(.serialized) struct RedisLedgerOutageTests {
    func request(_ scopes: [LedgerScope], cost: Micros = 0) -> AdmissionRequest {
        AdmissionRequest(requestID: "req", scopes: scopes, estimatedCost: cost, estimatedTokens: 0, now: unixNanoseconds())
    }

    let scope = LedgerScope(kind: .key, name: "k", budget: SpendLimit(limit: 1_000_000, period: .daily), limits: RateLimitSettings(concurrency: 1))

    @Test("fail_closed: Redis stopped → 503 governance_unavailable; Redis back → counted there again")
    func failClosed() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed)
        defer { replica.stop() }
        server.stop()
        #expect(TestLoop.eventually { !replica.client.isUp(on: replica.loop.loop) })
        for _ in 0..<3 {
            let refused = try #require(replica.admit(request([scope])).refusal)
            #expect(refused.status == 503 && refused.type == "service_unavailable" && refused.code == "governance_unavailable")
            #expect(refused.message.contains("Redis"))
        }
        #expect(replica.ledger.counters.failClosedRefusals == 3)
        #expect(replica.ledger.counters.isInOutage)
        #expect(replica.fallback.totals.inFlight == 0, "fail_closed never admits locally")
        try server.start()
        #expect(TestLoop.eventually { replica.client.isUp(on: replica.loop.loop) })
        let admitted = try #require(replica.admit(request([scope])).settlement)
        #expect(admitted is RedisLedgerSettlement)
        #expect(!replica.ledger.counters.isInOutage)
    }

    @Test("fail_open: Redis stopped → this replica's own counters admit, with their limits")
    func failOpen() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failOpen)
        defer { replica.stop() }
        server.stop()
        #expect(TestLoop.eventually { !replica.client.isUp(on: replica.loop.loop) })
        let first = try #require(replica.admit(request([scope], cost: 10)).settlement)
        #expect(first is LocalSettlement)
        // The local ledger's concurrency of 1 holds while Redis is away.
        #expect(replica.admit(request([scope])).refusal?.message.hasPrefix("Concurrency limit reached for key k") == true)
        #expect(replica.ledger.counters.failOpenAdmissions == 2)
        first.settle(cost: 7, tokens: 1, status: 200)
        #expect(replica.fallback.totals.inFlight == 0)
        try server.start()
        #expect(TestLoop.eventually { replica.client.isUp(on: replica.loop.loop) })
        #expect(replica.admit(request([scope])).settlement is RedisLedgerSettlement)
    }

    @Test("a Redis that does not answer (stopped process) times out at redis.timeout and the policy applies")
    func timeoutFailsOver() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed, timeoutMs: 100)
        defer { replica.stop() }
        server.pause()
        defer { server.resume() }
        let started = monotonicNanoseconds()
        let refused = try #require(replica.admit(request([scope])).refusal)
        let elapsed = monotonicNanoseconds() - started
        #expect(refused.code == "governance_unavailable")
        #expect(elapsed >= 90_000_000 && elapsed < 1_000_000_000, "answered after \(elapsed / 1_000_000) ms")
        #expect(replica.client.status.timedOutCommands >= 1)
        server.resume()
        #expect(TestLoop.eventually { replica.client.isUp(on: replica.loop.loop) })
        #expect(replica.admit(request([scope])).settlement is RedisLedgerSettlement)
    }

    @Test("a settlement Redis misses is retried a second later and lands; one that misses twice is counted lost")
    func settlementRetry() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed, timeoutMs: 100)
        defer { replica.stop() }
        let held = try #require(replica.admit(request([scope], cost: 50)).settlement)
        server.pause()
        replica.loop.loop.execute { held.settle(cost: 40, tokens: 1, status: 200) }
        usleep(400_000)  // the first try timed out (100 ms); the retry waits a second
        server.resume()
        #expect(TestLoop.eventually { replica.ledger.counters.settlementRetries == 1 && replica.client.isUp(on: replica.loop.loop) })
        #expect(TestLoop.eventually { replica.spend([scope], now: unixNanoseconds()).first?.spent == 40 })
        #expect(replica.command(["ZCARD", "sy:conc:key:k"]) == .integer(0))
        #expect(replica.ledger.counters.settlementsLost == 0)

        // Redis gone for longer than the retry: lost, counted; the lease bounds the damage.
        let second = try #require(replica.admit(request([scope], cost: 50)).settlement)
        server.stop()
        replica.loop.loop.execute { second.settle(cost: 40, tokens: 1, status: 200) }
        #expect(TestLoop.eventually(seconds: 5) { replica.ledger.counters.settlementsLost == 1 })
    }

    @Test("an admission that timed out after its script ran has its lease released once Redis answers")
    func timedOutAdmissionIsReleased() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed, timeoutMs: 100)
        defer { replica.stop() }
        // Loads the script, so the next admission is one EVALSHA that Redis keeps in its socket.
        let warm = try #require(replica.admit(request([scope], cost: 50)).settlement)
        replica.settle(warm, cost: 0, tokens: 0)
        #expect(replica.command(["ZCARD", "sy:conc:key:k"]) == .integer(0))
        server.pause()
        let refused = try #require(replica.admit(request([scope], cost: 50)).refusal)
        #expect(refused.code == "governance_unavailable")
        server.resume()
        // The paused server runs the admission when it wakes; the release follows and frees it.
        #expect(TestLoop.eventually(seconds: 5) { replica.ledger.counters.releasedLeases == 1 })
        #expect(replica.command(["ZCARD", "sy:conc:key:k"]) == .integer(0))
        #expect(replica.spend([scope], now: unixNanoseconds()).first?.reserved == 0)
        #expect(replica.ledger.pendingReleases.load(ordering: .relaxed) == 0)
        // Concurrency 1: a new admission gets the slot.
        #expect(replica.admit(request([scope])).settlement is RedisLedgerSettlement)
    }

    @Test("a release for a lease that was never admitted changes nothing, and the late admission is not counted")
    func releaseBeforeAdmission() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed)
        defer { replica.stop() }
        let admission = RedisLedgerAdmission(request([scope], cost: 50), lease: "req:released", leaseMilliseconds: 600_000)
        let release = RedisLedgerSettlement(ledger: replica.ledger, admission: admission, loop: replica.loop.loop, responseHeaders: [])
        let (keys, arguments) = release.script(cost: 0, tokens: 0, nowMilliseconds: admission.nowMilliseconds)
        let client = replica.client
        let released = replica.loop.wait { (eventLoop, done: @escaping (Result<RedisReply, RedisFailure>) -> Void) in
            client.evaluate(RedisLedgerScripts.settle, keys: keys, arguments: arguments, on: eventLoop, then: done)
        }
        #expect(released == .success(.integer(1)))
        #expect(replica.command(["ZCARD", "sy:conc:key:k"]) == .integer(0))
        #expect(replica.spend([scope], now: unixNanoseconds()).first.map { ($0.spent, $0.reserved) } ?? (-1, -1) == (0, 0))
        // The admission's own copy, arriving after its release (an old connection's bytes).
        let late = replica.loop.wait { (eventLoop, done: @escaping (Result<RedisReply, RedisFailure>) -> Void) in
            client.evaluate(RedisLedgerScripts.admit, keys: admission.keys, arguments: admission.arguments, on: eventLoop, then: done)
        }
        #expect(late == .success(.array([.integer(-1), .bulk(Array("released".utf8))])))
        #expect(replica.command(["ZCARD", "sy:conc:key:k"]) == .integer(0))
        #expect(replica.spend([scope], now: unixNanoseconds()).first?.reserved == 0)
    }

    @Test("/metrics: redis up, failed commands, admissions by policy")
    func metrics() throws {
        let server = try RedisServerProcess()
        let replica = try RedisReplica(server, policy: .failClosed)
        defer { replica.stop() }
        let source = RedisLedgerMetrics(ledger: replica.ledger)
        var text = PrometheusText()
        source.appendMetrics(to: &text)
        var rendered = String(decoding: text.bytes, as: UTF8.self)
        #expect(rendered.contains("\nswitchyard_redis_up 1\n"))
        server.stop()
        #expect(TestLoop.eventually { !replica.client.isUp(on: replica.loop.loop) })
        _ = replica.admit(request([scope]))
        text = PrometheusText()
        source.appendMetrics(to: &text)
        rendered = String(decoding: text.bytes, as: UTF8.self)
        #expect(rendered.contains("\nswitchyard_redis_up 0\n"))
        #expect(rendered.contains("switchyard_governance_unavailable_total{policy=\"fail_closed\"} 1\n"))
        #expect(rendered.contains("\nswitchyard_redis_failed_commands_total 1\n"))
    }
}

@Suite struct RedisLeaseLengthTests {
    @Test("a lease lasts the request deadline and a minute when one is set, else 10 minutes")
    func leaseFollowsTheDeadline() {
        #expect(RedisLedger.leaseSeconds(requestDeadlineNanoseconds: 0) == 600)
        #expect(RedisLedger.leaseSeconds(requestDeadlineNanoseconds: 120_000_000_000) == 180)
        #expect(RedisLedger.leaseSeconds(requestDeadlineNanoseconds: 1_500_000_000) == 62)
    }
}
