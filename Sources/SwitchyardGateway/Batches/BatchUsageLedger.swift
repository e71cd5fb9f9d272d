import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream
import Synchronization

/// Records each batch's usage once, when the gateway first sees it ended: the output file is
/// read from the provider as a stream, its lines' usage summed per model (BatchUsageTotals),
/// one `batch_usage` row per model written to the store, and one access-log line with the sums
/// and the provider's batch discount (what the batch cost relative to the same live requests).
///
/// "Once" holds across loops and restarts: a batch being read now is in `inFlight`; a batch
/// with rows in `batch_usage` is done (the insert ignores a second set).
///
/// Threading: `account` on any loop; the work it starts stays on that loop. `inFlight` is the
/// one piece of shared state, under a mutex.
final class BatchUsageLedger: Sendable {
    private let inFlight = Mutex<Set<String>>([])

    func account(_ record: BatchRecord, upstream: JSONObject, provider: NativeProvider, services: GatewayServices, store: Store, context: LoopContext) {
        guard claim(record.id) else { return }
        let id = record.id
        store.read(onLoop: context.upstream.loop, { db throws(StoreError) in
            try db.scalar("SELECT count(*) FROM batch_usage WHERE batch_id = ?", [.text(id)])
        }) { [self] result in
            guard case .success(.integer(0)?) = result else { return release(id) }
            let failed = upstream["request_counts"]?["failed"]?.intValue ?? 0
            let reader = UsageReader(record: record, provider: provider, failed: failed, keepingLines: Self.keepsLines(services)) { [self] totals in
                if let totals { write(totals, record: record, provider: provider, services: services, store: store, context: context) }
                else { release(id) }
            }
            reader.start(output: upstream["output_file_id"]?.stringValue, context: context, log: services.log)
        }
    }

    /// Claims `id` for the one reading of its results; false when another is under way.
    func claim(_ id: String) -> Bool { inFlight.withLock { $0.insert(id).inserted } }

    func release(_ id: String) {
        _ = inFlight.withLock { $0.remove(id) }
    }

    private func write(_ totals: BatchUsageTotals, record: BatchRecord, provider: NativeProvider, services: GatewayServices, store: Store, context: LoopContext) {
        let discount = provider.configured.batchDiscount
        let startedAt = monotonicNanoseconds()
        let lineRecords = services.accessLog.usageRecorder.map { BatchLineRecords(costs: $0.costs, provider: provider.name, mode: "native_batch") }
        let first = FirstRecording()
        let loop = context.upstream.loop
        store.write(onLoop: loop, { db throws(StoreError) in
            if try Self.insertRows(totals, batch: record, discount: discount, lineRecords: lineRecords, db) { first.happened() }
        }) { [self] result in
            release(record.id)
            if case .failure(let error) = result {
                return services.log.warn("a batch's usage could not be recorded", fields: [("batch", record.id), ("error", error.message)])
            }
            if first.isSet { services.governance?.chargeBatch(record, lines: totals.lineUsage, discount: discount, keys: services.keys, on: loop) }
            Self.log(totals, record: record, provider: provider.name, discount: discount, startedAt: startedAt, services: services, context: context)
        }
    }

    /// Whether a batch's lines are kept while its output is summed: for its usage records, and
    /// for its cost against its creator's budgets (governance on).
    static func keepsLines(_ services: GatewayServices) -> Bool {
        services.accessLog.usageRecorder != nil || services.governance != nil
    }

    /// One `batch_usage` row per model (a second set for the same batch is ignored), and with
    /// `lineRecords` one usage record per result line, written only with the first set. True
    /// when this was the first set: the batch's cost is charged then, once.
    @discardableResult
    static func insertRows(_ totals: BatchUsageTotals, batch: BatchRecord, discount: Double, lineRecords: BatchLineRecords? = nil, _ db: SQLiteConnection) throws(StoreError) -> Bool {
        let batchID = batch.id
        let now = Int64(unixNanoseconds() / 1_000_000_000)
        let rows = totals.models.isEmpty ? ["": BatchUsageTotals.Model()] : totals.models
        var inserted = 0
        for (model, sums) in rows {
            inserted += try db.run("""
                INSERT INTO batch_usage (batch_id, model, lines, failed_lines, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, discount, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (batch_id, model) DO NOTHING
                """, [.text(batchID), .text(model), .integer(Int64(sums.lines)), .integer(Int64(sums.failedLines)),
                      .integer(Int64(sums.promptTokens)), .integer(Int64(sums.completionTokens)), .integer(Int64(sums.cachedTokens)),
                      .integer(Int64(sums.reasoningTokens)), .real(discount), .integer(now)])
        }
        if inserted > 0, let lineRecords, let lines = totals.lineUsage, !lines.isEmpty {
            try UsageRows.insert(db, lineRecords.records(lines, batch: batch, discount: discount, now: now * 1000))
        }
        return inserted > 0
    }

    /// The access-log line of a batch's usage.
    static func log(_ totals: BatchUsageTotals, record: BatchRecord, provider: String, discount: Double, startedAt: UInt64, services: GatewayServices, context: LoopContext) {
        let sum = totals.sum
        // Shaped like a request's line (one query finds both), with `method=-`: no client asked.
        guard services.accessLog.enabled, services.log.minimum <= .info else { return }
        var line = LogLine(level: .info, message: "request")
        line.field("request_id", RequestID.generate())
        line.field("endpoint", EndpointOperation.batches.rawValue)
        line.field("status", 200)
        line.field("provider", provider)
        line.field("mode", word: "native_batch")
        line.field("method", "-")
        line.field("duration_us", Int((monotonicNanoseconds() &- startedAt) / 1000))
        line.field("batch", record.id)
        line.field("batch_status", record.status)
        line.field("model", totals.models.keys.filter { !$0.isEmpty }.sorted().joined(separator: ","))
        line.field("lines", sum.lines)
        line.field("failed_lines", sum.failedLines)
        line.field("prompt_tokens", sum.promptTokens)
        line.field("completion_tokens", sum.completionTokens)
        if sum.cachedTokens > 0 { line.field("cached_tokens", sum.cachedTokens) }
        if sum.reasoningTokens > 0 { line.field("reasoning_tokens", sum.reasoningTokens) }
        line.field("batch_discount", String(discount))
        context.accessLog.append(line)
    }
}

/// Whether a store job recorded a batch's usage for the first time: set on the store's writer
/// thread inside the job, read on the loop in its completion (after the commit).
final class FirstRecording: Sendable {
    private let flag = Atomic<Bool>(false)
    func happened() { flag.store(true, ordering: .releasing) }
    var isSet: Bool { flag.load(ordering: .acquiring) }
}

/// Streams a batch's output file and sums its lines. Loop-confined; retained by its transfer.
private final class UsageReader: UpstreamResponseDelegate {
    private let record: BatchRecord
    private let provider: NativeProvider
    private var totals = BatchUsageTotals()
    private var lines = JSONLines(maxLineBytes: InputPreparation.maxLineBytes)
    private var status = 0
    private var completion: ((BatchUsageTotals?) -> Void)?
    private var log: GatewayLog?
    private var call: NativeCall?
    private var transfer: (any UpstreamCall)?

    init(record: BatchRecord, provider: NativeProvider, failed: Int, keepingLines: Bool, completion: @escaping (BatchUsageTotals?) -> Void) {
        self.record = record
        self.provider = provider
        self.completion = completion
        if keepingLines { totals.lineUsage = [] }
        totals.addFailed(failed)
    }

    func start(output: String?, context: LoopContext, log: GatewayLog) {
        self.log = log
        guard let output else { return finish(ok: true) }
        let call = NativeCall(requestID: RequestID.generate(), endpoint: "batches", mode: "native_batch", context: context)
        call.provider = provider.name
        self.call = call
        do {
            let request = try provider.request("GET", "/v1/files/\(output)/content", call: call.description(SY_OP_BATCHES))
            transfer = context.upstream.start(request, delegate: self)
        } catch {
            log.warn("a batch's output could not be read for its usage", fields: [("batch", record.id), ("error", error.message)])
            finish(ok: false)
        }
    }

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) { self.status = status }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        guard completion != nil, (200..<300).contains(status) else { return }
        lines.append(chunk)
        drain()
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        guard completion != nil else { return }
        guard case .success = result, (200..<300).contains(status) else {
            log?.warn("a batch's output could not be read for its usage", fields: [("batch", record.id), ("status", String(status))])
            return finish(ok: false)
        }
        lines.finish()
        drain()
        finish(ok: true)
    }

    private func drain() {
        while true {
            switch lines.next() {
            case .line(_, let bytes): totals.add(line: bytes)
            case .needMore: return
            case .tooLong:
                // Sums that skip a line are not the batch's: record nothing (the next look retries).
                log?.warn("a batch's output has a line too long to read; its usage is not recorded", fields: [("batch", record.id)])
                transfer?.cancel()
                return finish(ok: false)
            }
        }
    }

    private func finish(ok: Bool) {
        call?.end()
        guard let completion else { return }
        self.completion = nil
        completion(ok ? totals : nil)
    }
}
