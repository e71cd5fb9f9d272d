import Synchronization

/// Usage records lost: dropped because a loop's buffer was full while the store was behind, or
/// because their batch's write failed. Process-wide (outlives reloads); shown by `GET /metrics`
/// as `switchyard_usage_records_dropped_total`. Thread-safe.
final class UsageDrops: MetricsGaugeSource, Sendable {
    private let count = Atomic<Int>(0)
    /// When the last "dropped" warning was logged (Unix ms): at most one every 10 s.
    private let lastWarning = Atomic<Int64>(0)

    var total: Int { count.load(ordering: .relaxed) }

    /// Counts `records` lost; true when the caller should log it now.
    func add(_ records: Int, now: Int64) -> Bool {
        count.add(records, ordering: .relaxed)
        let last = lastWarning.load(ordering: .relaxed)
        return now - last >= 10_000 && lastWarning.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged
    }

    func appendMetrics(to text: inout PrometheusText) {
        text.family("switchyard_usage_records_dropped_total", .counter,
                    help: "Usage records lost because the store was behind (buffer full) or their write failed.")
        text.sample("switchyard_usage_records_dropped_total", [], UInt64(total))
    }
}
