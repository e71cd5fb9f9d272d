import Synchronization

/// What the Redis ledger counts for `/metrics` and its once-per-outage log lines.
/// Threading: any thread (atomics).
final class RedisLedgerCounters: Sendable {
    private let open = Atomic<UInt64>(0)
    private let closed = Atomic<UInt64>(0)
    private let retried = Atomic<UInt64>(0)
    private let lost = Atomic<UInt64>(0)
    private let doubles = Atomic<UInt64>(0)
    private let releasesQueued = Atomic<UInt64>(0)
    private let releasesSent = Atomic<UInt64>(0)
    private let releasesDropped = Atomic<UInt64>(0)
    private let inOutage = Atomic<Bool>(false)
    private let lossLogged = Atomic<Bool>(false)

    var failOpenAdmissions: UInt64 { open.load(ordering: .relaxed) }
    var failClosedRefusals: UInt64 { closed.load(ordering: .relaxed) }
    var settlementRetries: UInt64 { retried.load(ordering: .relaxed) }
    var settlementsLost: UInt64 { lost.load(ordering: .relaxed) }
    var doubleSettlements: UInt64 { doubles.load(ordering: .relaxed) }
    /// Leases of admissions whose answer was lost: queued for release, released, dropped (bound).
    var releasedLeasesQueued: UInt64 { releasesQueued.load(ordering: .relaxed) }
    var releasedLeases: UInt64 { releasesSent.load(ordering: .relaxed) }
    var droppedLeaseReleases: UInt64 { releasesDropped.load(ordering: .relaxed) }
    var isInOutage: Bool { inOutage.load(ordering: .relaxed) }

    func failedOpen() { open.add(1, ordering: .relaxed) }
    func failedClosed() { closed.add(1, ordering: .relaxed) }
    func settlementRetried() { retried.add(1, ordering: .relaxed) }
    /// Counts a lost settlement; true for the first since Redis last answered an admission.
    func settlementLost() -> Bool {
        lost.add(1, ordering: .relaxed)
        return !lossLogged.exchange(true, ordering: .relaxed)
    }
    func releaseQueued() { releasesQueued.add(1, ordering: .relaxed) }
    func releaseSent() { releasesSent.add(1, ordering: .relaxed) }
    func releaseDropped() { releasesDropped.add(1, ordering: .relaxed) }
    func doubleSettlement() { doubles.add(1, ordering: .relaxed) }

    /// True for the first failure of an outage (log it once).
    func outageStarted() -> Bool { !inOutage.exchange(true, ordering: .relaxed) }
    /// True for the first answer after an outage. A load first: no write on the common path.
    func outageEnded() -> Bool {
        if lossLogged.load(ordering: .relaxed) { lossLogged.store(false, ordering: .relaxed) }
        return inOutage.load(ordering: .relaxed) && inOutage.exchange(false, ordering: .relaxed)
    }
}
