import Synchronization

/// Audit entries not stored because their redaction failed (the body is never stored
/// unredacted). Process-wide; `GET /metrics` shows `switchyard_audit_entries_dropped_total`.
final class AuditDrops: MetricsGaugeSource, Sendable {
    private let count = Atomic<Int>(0)

    var total: Int { count.load(ordering: .relaxed) }

    func add() { count.add(1, ordering: .relaxed) }

    func appendMetrics(to text: inout PrometheusText) {
        text.family("switchyard_audit_entries_dropped_total", .counter,
                    help: "Audit entries not stored because redacting their bodies failed.")
        text.sample("switchyard_audit_entries_dropped_total", [], UInt64(total))
    }
}
