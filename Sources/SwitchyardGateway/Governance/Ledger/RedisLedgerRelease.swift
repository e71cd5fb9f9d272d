import SwitchyardPosix
import SwitchyardRedis

/// Frees the lease of an admission whose answer was lost (a timeout, a dropped connection): the
/// admit script may have run in Redis, holding a concurrency slot and a reservation for a
/// request that then fell back (fail_open) or was refused (fail_closed). Left alone they would
/// hold until the lease expires, so a few slow replies could lock a key out on every replica.
///
/// The release is the settle script with cost 0, sent once this loop's connection is up again
/// and retried every `retryNanoseconds` until Redis takes it or the lease has expired anyway.
/// Harmless when the admit never ran: nothing to remove, and the settled marker it leaves makes
/// the admit script refuse to count that lease if its delayed copy runs afterwards (an old
/// connection's bytes read by Redis after the new one's).
///
/// Threading: on the loop the admission was made on. Bound: at most
/// `RedisLedger.pendingReleasesLimit` waiting across the process; past it a release is dropped
/// (counted in `switchyard_redis_lease_releases_dropped_total`; its lease expires by itself).
extension RedisLedger {
    static let releaseRetryNanoseconds: UInt64 = 250_000_000

    func releaseLater(_ admission: RedisLedgerAdmission, on loop: EventLoop) {
        guard pendingReleases.add(1, ordering: .relaxed).newValue <= Self.pendingReleasesLimit else {
            pendingReleases.subtract(1, ordering: .relaxed)
            counters.releaseDropped()
            return
        }
        counters.releaseQueued()
        let settlement = RedisLedgerSettlement(ledger: self, admission: admission, loop: loop, responseHeaders: [])
        loop.schedule(after: Self.releaseRetryNanoseconds) { [self] in tryRelease(settlement, on: loop) }
    }

    private func tryRelease(_ settlement: RedisLedgerSettlement, on loop: EventLoop) {
        let now = Int64(clock.now() / 1_000_000)
        guard now < settlement.admission.leaseExpiryMilliseconds else {
            // Expired: Redis drops it on the next admission of its scopes.
            pendingReleases.subtract(1, ordering: .relaxed)
            return
        }
        guard client.isUp(on: loop) else {
            loop.schedule(after: Self.releaseRetryNanoseconds) { [self] in tryRelease(settlement, on: loop) }
            return
        }
        let (keys, arguments) = settlement.script(cost: 0, tokens: 0, nowMilliseconds: now)
        client.evaluate(RedisLedgerScripts.settle, keys: keys, arguments: arguments, on: loop) { [self] result in
            if case .success(.integer) = result {
                pendingReleases.subtract(1, ordering: .relaxed)
                counters.releaseSent()
                return
            }
            loop.schedule(after: Self.releaseRetryNanoseconds) { [self] in tryRelease(settlement, on: loop) }
        }
    }
}
