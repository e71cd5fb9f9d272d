import Synchronization
import SwitchyardCore
import SwitchyardPosix
import SwitchyardRedis

/// A request's hold in Redis: its lease in the concurrency sets and budget reservations of its
/// scopes. Settles once, on the loop the request was admitted on, fire and forget: the script
/// frees the slot and the reservation, adds the real cost to spent and the real tokens to this
/// minute. A settlement Redis does not take is tried once more a second later, then counted
/// (and logged, once per outage); the
/// lease's expiry bounds what is lost (the slot and reservation free themselves; the cost is
/// not counted).
final class RedisLedgerSettlement: Settlement {
    let ledger: RedisLedger
    let admission: RedisLedgerAdmission
    let loop: EventLoop
    let responseHeaders: [(name: String, value: String)]
    private let settled = Atomic<Bool>(false)
    static let retryDelayNanoseconds: UInt64 = 1_000_000_000

    init(ledger: RedisLedger, admission: RedisLedgerAdmission, loop: EventLoop, responseHeaders: [(name: String, value: String)]) {
        self.ledger = ledger
        self.admission = admission
        self.loop = loop
        self.responseHeaders = responseHeaders
    }

    func settle(cost: Micros, tokens: Int, status: Int) {
        guard !settled.exchange(true, ordering: .acquiringAndReleasing) else {
            ledger.counters.doubleSettlement()
            return
        }
        let nowMilliseconds = Int64(ledger.clock.now() / 1_000_000)
        let (keys, arguments) = script(cost: max(0, cost), tokens: max(0, tokens), nowMilliseconds: nowMilliseconds)
        if loop.isOnLoop {
            send(keys, arguments, attempt: 1)
        } else {
            // Settled from elsewhere (a worker's completion): the connection is the loop's.
            loop.execute { [self] in send(keys, arguments, attempt: 1) }
        }
    }

    var estimate: (cost: Micros, tokens: Int) { (admission.request.estimatedCost, admission.request.estimatedTokens) }

    var isSettled: Bool { settled.load(ordering: .acquiring) }

    private func send(_ keys: [String], _ arguments: [String], attempt: Int) {
        ledger.client.evaluate(RedisLedgerScripts.settle, keys: keys, arguments: arguments, on: loop) { [self] result in
            if case .success(.integer) = result { return }
            if attempt == 1 {
                // A second of grace: a dropped connection is made again within it (the backoff
                // starts at 100 ms). Safe if the first try got through after all: the marker.
                ledger.counters.settlementRetried()
                loop.schedule(after: Self.retryDelayNanoseconds) { [self] in send(keys, arguments, attempt: 2) }
                return
            }
            // Logged once until Redis answers an admission again: an outage loses every
            // settlement in flight, one line says so.
            guard ledger.counters.settlementLost() else { return }
            let reason: String
            switch result {
            case .failure(let failure): reason = failure.description
            case .success(let reply): reason = RedisLedger.describe(reply)
            }
            ledger.log.warn("governance: settlements do not reach redis; their slots and reservations free themselves when their leases expire, their cost is not counted",
                            requestID: admission.request.requestID, fields: [("reason", reason)])
        }
    }

    /// The `settle` script's keys and arguments (RedisLedgerScripts.settle).
    func script(cost: Micros, tokens: Int, nowMilliseconds: Int64) -> ([String], [String]) {
        let minute = nowMilliseconds / SlidingWindow.minuteMilliseconds
        var keys = [RedisLedgerKeys.settled(admission.lease)]
        var arguments = [admission.lease, String(cost), String(tokens), String(admission.request.scopes.count),
                         String(max(admission.leaseExpiryMilliseconds - nowMilliseconds, 0) + 60_000)]
        for scope in admission.request.scopes {
            let id = scope.id
            let period = scope.budget?.period ?? .total
            // The cost counts in the window the reservation was made in (as the local ledger's).
            let window = PeriodWindow.start(period, at: admission.seconds)
            keys += [RedisLedgerKeys.concurrency(id), RedisLedgerKeys.tokens(id, minute: minute), RedisLedgerKeys.spent(id, period, window: window),
                     RedisLedgerKeys.reserved(id, period, window: window), RedisLedgerKeys.reservationLeases(id, period, window: window),
                     RedisLedgerKeys.reservationAmounts(id, period, window: window)]
            arguments.append(scope.limits?.concurrency != nil ? "1" : "0")
            arguments.append(scope.limits?.tokensPerMinute != nil ? "1" : "0")
            if let budget = scope.budget {
                // As long as at admission (longer by the request's run: harmless).
                arguments.append(String(RedisLedgerAdmission.windowKeysMilliseconds(budget.period, at: admission.seconds)))
            } else {
                arguments.append("-2")
            }
        }
        return (keys, arguments)
    }
}
