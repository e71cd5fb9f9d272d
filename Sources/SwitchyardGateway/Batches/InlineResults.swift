import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream

/// The results of an ended inline batch, read once from its provider as a stream and turned
/// into OpenAI's output and error files, which the gateway holds: each result line through the
/// plugin's `result` hook, then into the error file (an error, or a status of 400 and up) or
/// the output file; usage summed on the way. One store job then makes both files durable,
/// records them, the usage and the batch object naming them, all or nothing: a crash or a
/// failed job leaves the batch unfetched (the next look fetches again) and no file behind.
///
/// Threading: loop-confined; `completion` once, on the loop. Lifetime: retained by its transfer.
final class InlineResults: UpstreamResponseDelegate {
    /// The batch as recorded with its result files, and the usage summed.
    struct Ended {
        let record: BatchRecord
        let totals: BatchUsageTotals
        /// This job recorded the batch's usage first (its cost is charged now, once).
        let firstRecording: Bool
    }

    private let record: BatchRecord
    /// The batch object as the refresh saw it, ended; the result file ids are added to it.
    private let object: JSONObject
    private let inline: InlineBatchProvider
    private let held: HeldFiles
    private let store: Store
    private let loop: EventLoop
    private let call: CallDescription
    private var lines = JSONLines(maxLineBytes: InputPreparation.maxLineBytes)
    private var output: (id: String, writer: HeldFileWriter)?
    private var errors: (id: String, writer: HeldFileWriter)?
    private var totals = BatchUsageTotals()
    private var status = 0
    private var errorBody: [UInt8] = []
    private var transfer: (any UpstreamCall)?
    private var completion: ((Result<Ended, GatewayError>) -> Void)?

    /// Usage records per result line go with the batch's usage; nil when usage recording is off.
    private let lineRecords: BatchLineRecords?

    init(record: BatchRecord, object: JSONObject, inline: InlineBatchProvider, held: HeldFiles, store: Store, loop: EventLoop, call: CallDescription,
         lineRecords: BatchLineRecords? = nil, keepsLines: Bool = false, completion: @escaping (Result<Ended, GatewayError>) -> Void) {
        self.lineRecords = lineRecords
        if lineRecords != nil || keepsLines { totals.lineUsage = [] }
        self.record = record
        self.object = object
        self.inline = inline
        self.held = held
        self.store = store
        self.loop = loop
        self.call = call
        self.completion = completion
    }

    func start(on client: UpstreamClient) {
        do throws(GatewayError) {
            transfer = client.start(try inline.request(SY_BATCH_RESULTS, batchID: record.upstreamID, call: call), delegate: self)
        } catch {
            finish(.failure(error))
        }
    }

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) { self.status = status }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        guard completion != nil else { return }
        guard (200..<300).contains(status) else {
            if errorBody.count < 2048 { errorBody.append(contentsOf: chunk.prefix(2048 - errorBody.count)) }
            return
        }
        lines.append(chunk)
        drain()
    }

    func upstreamComplete(_ result: UpstreamResult) {
        transfer = nil
        guard completion != nil else { return }
        switch result {
        case .failure(let error):
            finish(.failure(.upstream(status: 502, message: "Provider \(inline.name) could not send the batch's results: \(error.message)")))
        case .success where !(200..<300).contains(status):
            finish(.failure(.upstream(status: 502, message: "Provider \(inline.name) refused the batch's results (HTTP \(status)): \(String(decoding: errorBody, as: UTF8.self))")))
        case .success:
            lines.finish()
            drain()
            if completion != nil { commit() }
        }
    }

    private func drain() {
        while completion != nil {
            switch lines.next() {
            case .needMore: return
            case .tooLong(let number):
                return finish(.failure(.upstream(status: 502, message: "Provider \(inline.name) sent a result line \(number) past \(InputPreparation.maxLineBytes) bytes.")))
            case .line(let number, let bytes):
                do throws(GatewayError) {
                    let translated = try inline.result(bytes, call: call)
                    guard let parsed = try? JSONValue.parse(translated), parsed["custom_id"]?.stringValue != nil else {
                        throw GatewayError.upstream(status: 502, message: "Provider \(inline.name)'s plugin made result line \(number) into no batch output line (no custom_id).")
                    }
                    // A missing error is none; a missing response or status counts as failed.
                    let errored = parsed["error"].map { !$0.isNull } ?? false
                    let failed = errored || (parsed["response"]?["status_code"]?.intValue ?? 500) >= 400
                    totals.add(line: translated[...])
                    var file = failed ? errors : output
                    if file == nil {
                        let id = GatewayID.file()
                        file = (id, try held.create(id))
                        if failed { errors = file } else { output = file }
                    }
                    // One JSONL line whatever whitespace the plugin used (raw CR/LF can only sit between tokens).
                    var line = translated
                    for index in line.indices where line[index] == 0x0A || line[index] == 0x0D { line[index] = 0x20 }
                    line.append(0x0A)
                    try file!.writer.append(line)
                } catch {
                    return finish(.failure(error))
                }
            }
        }
    }

    /// Makes the files durable and records them, the usage and the object, in one store job.
    private func commit() {
        let now = Int(unixNanoseconds() / 1_000_000_000)
        let discount = inline.configured.batchDiscount
        let totals = LoopConfined(totals)
        let written = [(output, "batch_output", "output"), (errors, "batch_error", "errors")].compactMap { file, origin, suffix in
            file.map { (id: $0.id, writer: $0.writer, origin: origin, suffix: suffix) }
        }
        var object = object
        object["output_file_id"] = output.map { .string($0.id) } ?? .null
        object["error_file_id"] = errors.map { .string($0.id) } ?? .null
        var ended = record
        ended.status = object["status"]?.stringValue ?? record.status
        ended.object = BatchObject.render(object, record: record, files: Dictionary(uniqueKeysWithValues: written.map { ($0.id, $0.id) }))
        let row = ended
        let writers = LoopConfined(written)
        let held = held
        // The slow fsyncs first, off the writer; the job then only renames and records.
        store.offLoop(onLoop: loop, { for file in writers.value { _ = file.writer.flush() } }) { [self] _ in record(writers, row: row, totals: totals, now: now, discount: discount) }
    }

    private func record(
        _ writers: LoopConfined<[(id: String, writer: HeldFileWriter, origin: String, suffix: String)]>, row: BatchRecord,
        totals: LoopConfined<BatchUsageTotals>, now: Int, discount: Double
    ) {
        let held = held
        let lineRecords = lineRecords
        let first = FirstRecording()
        store.write(onLoop: loop, { db throws(StoreError) in
            for file in writers.value {
                do throws(GatewayError) { try file.writer.commit() } catch { throw StoreError(.cannotOpen, error.message) }
                try FileRecord.insert(FileRecord(
                    id: file.id, provider: "", upstreamID: file.id, filename: "\(row.id)_\(file.suffix).jsonl", purpose: "batch_output",
                    bytes: file.writer.count, createdAt: now, expiresAt: nil, origin: file.origin, keyID: row.keyID), db)
            }
            if try BatchUsageLedger.insertRows(totals.value, batch: row, discount: discount, lineRecords: lineRecords, db) { first.happened() }
            try BatchRecord.update(id: row.id, status: row.status, object: row.object, db)
        }) { [self] result in
            switch result {
            case .success: finish(.success(Ended(record: row, totals: totals.value, firstRecording: first.isSet)))
            case .failure(let error):
                // Rolled back: no record names the files, so none may stay on disk.
                for file in writers.value { held.delete(file.id) }
                finish(.failure(.unavailable("The batch's results could not be recorded: \(error.message)")))
            }
        }
    }

    private func finish(_ result: Result<Ended, GatewayError>) {
        guard let completion else { return }
        self.completion = nil
        transfer?.cancel()
        transfer = nil
        if case .failure = result {
            output?.writer.abort()
            errors?.writer.abort()
        }
        completion(result)
    }
}
