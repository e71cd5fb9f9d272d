import Glibc
import RedisTestSupport
@testable import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardPosix
import SwitchyardRedis

/// A Redis ledger on a real redis-server and a running loop of its own (a "replica"), and the
/// calls a test makes on it from its own thread, waiting for the answers.
final class RedisReplica: @unchecked Sendable {
    /// Kept alive as long as the replica (the test may not name it again).
    let server: RedisServerProcess
    let loop: TestLoop
    let client: RedisClient
    let ledger: RedisLedger
    let fallback: LocalLedger

    init(_ server: RedisServerProcess, policy: RedisConfig.UnavailablePolicy = .failOpen, timeoutMs: UInt64 = 250, clock: LedgerClock = LedgerClock()) throws {
        self.server = server
        loop = try TestLoop()
        client = RedisClient(
            settings: RedisSettings(endpoint: .tcp(host: "127.0.0.1", port: server.port), timeoutNanoseconds: timeoutMs * 1_000_000, reconnectCapNanoseconds: 200_000_000),
            log: { _, _ in })
        var config = RedisConfig(address: .tcp(host: "127.0.0.1", port: server.port))
        config.onUnavailable = policy
        fallback = LocalLedger(currency: "USD", clock: clock)
        ledger = RedisLedger(client: client, config: config, fallback: fallback, log: GatewayLog(minimum: .error), currency: "USD", clock: clock)
        client.attach(loop.loop)
        _ = TestLoop.eventually { self.client.isUp(on: self.loop.loop) }
    }

    func stop() {
        client.close()
        loop.stop()
    }

    struct Decision: @unchecked Sendable { let value: AdmissionDecision }

    func admit(_ request: AdmissionRequest) -> AdmissionDecision {
        let ledger = self.ledger
        guard let decision = loop.wait({ (eventLoop, done: @escaping (Decision) -> Void) in
            ledger.admit(request, on: eventLoop) { done(Decision(value: $0)) }
        }) else { fatalError("no admission decision within 10 s") }
        return decision.value
    }

    func spend(_ scopes: [LedgerScope], now: UInt64) -> [ScopeSpend] {
        let ledger = self.ledger
        return loop.wait { (eventLoop, done: @escaping ([ScopeSpend]) -> Void) in ledger.spend(of: scopes, now: now, on: eventLoop, then: done) } ?? []
    }

    /// A command on this replica's connection; after the settlements queued before it (same
    /// connection, answered in order).
    func command(_ arguments: [String]) -> RedisReply? {
        let client = self.client
        guard case .success(let reply) = loop.wait({ (eventLoop, done: @escaping (Result<RedisReply, RedisFailure>) -> Void) in
            client.command(arguments, on: eventLoop, then: done)
        }) else { return nil }
        return reply
    }

    /// Waits until the settlements already handed to the loop have been answered by Redis.
    func drain() { _ = command(["PING"]) }

    /// Settles on the replica's loop (as the access log does) and waits for Redis to take it.
    func settle(_ settlement: any Settlement, cost: Micros, tokens: Int, status: Int = 200) {
        loop.loop.execute { settlement.settle(cost: cost, tokens: tokens, status: status) }
        drain()
    }
}

extension AdmissionDecision {
    var settlement: (any Settlement)? {
        if case .admitted(let settlement) = self { return settlement }
        return nil
    }

    var refusal: GatewayError? {
        if case .refused(let error) = self { return error }
        return nil
    }
}
