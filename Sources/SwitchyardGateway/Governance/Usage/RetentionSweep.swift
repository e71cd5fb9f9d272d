import Synchronization
import SwitchyardPosix
import SwitchyardStore

/// Deletes a governance table's rows older than its retention: one write-behind job on the
/// store's writer (never on a loop), at start and then at most once per `period` while records
/// are being written (`sweepIfDue`, called by whoever writes them). `created_at` is Unix ms.
///
/// Threading: thread-safe; `sweepIfDue` costs one relaxed load when not due.
final class RetentionSweep: Sendable {
    let table: String
    let maxAgeMilliseconds: Int64
    let period: Int64
    private let store: Store
    private let nextAt = Atomic<Int64>(0)

    init(table: String, maxAge: Duration, store: Store, period: Int64 = 60_000) {
        self.table = table
        let (seconds, attoseconds) = maxAge.components
        maxAgeMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        self.store = store
        self.period = period
    }

    static func now() -> Int64 { Int64(unixNanoseconds() / 1_000_000) }

    func sweepIfDue(now: Int64 = RetentionSweep.now()) {
        let due = nextAt.load(ordering: .relaxed)
        guard now >= due, nextAt.compareExchange(expected: due, desired: now + period, ordering: .relaxed).exchanged else { return }
        sweep(now: now)
    }

    /// Queues the delete (its error reaches the store's onError, which logs it).
    func sweep(now: Int64) {
        let sql = "DELETE FROM \(table) WHERE created_at < ?"
        let cutoff = now - maxAgeMilliseconds
        store.write { db throws(StoreError) in _ = try db.run(sql, [.integer(cutoff)]) }
    }
}
