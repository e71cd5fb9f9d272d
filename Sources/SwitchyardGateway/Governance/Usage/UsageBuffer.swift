import SwitchyardPosix
import SwitchyardStore

/// One loop's usage records on their way to the store (decision 0026). A request's record is
/// appended here (no store job per request); the buffer hands a batch to the store writer, one
/// transaction for the batch, `flushDelay` after its first record or at once when it holds
/// `batchRecords`. At most one batch per loop is with the writer: while it is, records keep
/// buffering, up to `capacity`; past that they are dropped and counted (`UsageSink.dropped`:
/// the `switchyard_usage_records_dropped_total` metric and a warning), so memory stays bounded
/// when the store is behind.
///
/// Shutdown: from `beginDrain` on, every record is handed over at once (when no batch is with
/// the writer; else right after it); once the loops have stopped, `flushAfterStop` hands over
/// whatever is left, and the store's close commits it, so every request answered before the
/// process exits has its record.
///
/// Threading: confined to `loop`; `flushAfterStop` runs on the shutdown thread after every loop
/// stopped (the timers and completions never run again).
final class UsageBuffer {
    let loop: EventLoop
    private var pending: [UsageRecord] = []
    private var sink: UsageSink?
    private var timer: TimerID?
    private var batchWithWriter = false
    private var writesThrough = false
    static let flushDelay: UInt64 = 100_000_000
    static let batchRecords = 512
    static let capacity = 50_000

    init(loop: EventLoop) { self.loop = loop }

    /// Records on the loop not yet handed over (tests).
    var buffered: Int { pending.count }

    func append(_ record: UsageRecord, to sink: UsageSink) {
        self.sink = sink
        guard pending.count < Self.capacity else { return sink.dropped(1, reason: "buffer full: the store is behind") }
        pending.append(record)
        if writesThrough || pending.count >= Self.batchRecords {
            flush()
        } else if timer == nil, !batchWithWriter {
            timer = loop.schedule(after: Self.flushDelay) { [weak self] in
                self?.timer = nil
                self?.flush()
            }
        }
    }

    /// From now on each record is handed over as it comes.
    func writeThrough() {
        writesThrough = true
        flush()
    }

    /// Hands the buffered records to the writer as one job; the next batch waits for this one.
    func flush() {
        guard !pending.isEmpty, !batchWithWriter, let sink else { return }
        if let timer { loop.cancel(timer); self.timer = nil }
        let batch = pending
        pending = []
        batchWithWriter = true
        sink.store.write(onLoop: loop, { db throws(StoreError) in try UsageRows.insert(db, batch) }) { [weak self] result in
            if case .failure(let error) = result { sink.dropped(batch.count, reason: "store write failed: \(error.message)") }
            guard let self else { return }
            batchWithWriter = false
            guard !pending.isEmpty else { return }
            if writesThrough || pending.count >= Self.batchRecords {
                flush()
            } else if timer == nil {
                timer = loop.schedule(after: Self.flushDelay) { [weak self] in
                    self?.timer = nil
                    self?.flush()
                }
            }
        }
    }

    /// Hands over what is left, whatever is with the writer; only once every loop has stopped.
    func flushAfterStop() {
        guard !pending.isEmpty, let sink else { return }
        let batch = pending
        pending = []
        sink.store.write { db throws(StoreError) in try UsageRows.insert(db, batch) }
    }
}
