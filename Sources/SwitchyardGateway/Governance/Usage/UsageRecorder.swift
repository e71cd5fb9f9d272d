import SwitchyardConfig
import SwitchyardCore
import SwitchyardStore

/// `usage.record: true` for one config generation: prices a finished request with the catalog
/// (`CostTable`) and appends its record to the loop's buffer; triggers the retention pass.
/// Nil on `AccessLog` when recording is off, so the request path pays one nil check.
///
/// Threading: immutable and Sendable; `record` runs on the request's loop.
final class UsageRecorder: Sendable {
    let sink: UsageSink
    let retention: RetentionSweep
    let costs: CostTable

    /// Queues a first retention pass, so a gateway restarted after a long pause drops what
    /// expired meanwhile.
    init(sink: UsageSink, config: UsageConfig, costs: CostTable) {
        self.sink = sink
        self.costs = costs
        retention = RetentionSweep(table: "usage_records", maxAge: config.retention, store: sink.store)
        retention.sweep(now: RetentionSweep.now())
    }

    func record(_ record: UsageRecord, into context: LoopContext) {
        context.usage.append(record, to: sink)
        retention.sweepIfDue(now: record.createdAt)
    }
}
