import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream

/// Brings a batch its provider runs inline up to date: the plugin reads the provider's object
/// (`status`), the gateway sets what is its own (endpoint, window, metadata, the result files:
/// whatever the plugin wrote there is replaced), and the first time the batch is seen ended its
/// results are fetched into held files (InlineResults), which records them, the usage and the
/// object in one store job.
///
/// Until that job has committed, an ended batch shows as `finalizing`, never as completed
/// without its files: while another request is fetching, after a fetch that failed (the next
/// look tries again), and in a listing (which does not wait for downloads). A batch with
/// `batch_usage` rows has been fetched, even when it had no result lines.
///
/// Threading: loop-confined; `completion` once, on the loop.
final class InlineBatchRefresh {
    private let record: BatchRecord
    private let inline: InlineBatchProvider
    private let fetchesResults: Bool
    private let services: GatewayServices
    private let store: Store
    private let context: LoopContext
    private let call: NativeCall
    private let usage: BatchUsageLedger
    private let completion: (Result<NativeAnswer, GatewayError>) -> Void

    /// The object's members the gateway owns, never taken from the plugin.
    static let hostKeys = ["endpoint", "completion_window", "metadata", "output_file_id", "error_file_id"]

    init(record: BatchRecord, inline: InlineBatchProvider, fetchesResults: Bool, services: GatewayServices, store: Store, context: LoopContext,
         call: NativeCall, usage: BatchUsageLedger, completion: @escaping (Result<NativeAnswer, GatewayError>) -> Void) {
        self.record = record
        self.inline = inline
        self.fetchesResults = fetchesResults
        self.services = services
        self.store = store
        self.context = context
        self.call = call
        self.usage = usage
        self.completion = completion
    }

    func start(_ action: BatchRefresh.Action) -> (any UpstreamCall)? {
        let description = call.description(SY_OP_BATCHES)
        let request: UpstreamRequest
        do { request = try inline.request(action == .retrieve ? SY_BATCH_GET : SY_BATCH_CANCEL, batchID: record.upstreamID, call: description) } catch {
            completion(.failure(error))
            return nil
        }
        return NativeExchange.send(request, provider: inline.name, on: context.upstream, maxBytes: BatchCreation.maxAnswerBytes) { [self] result in
            do throws(GatewayError) {
                let answer = try result.get()
                guard answer.succeeded else { throw Self.refusal(answer, provider: inline.name) }
                guard var object = try? JSONValue.parse(try inline.status(answer.body, call: description)).objectValue else {
                    throw GatewayError.upstream(status: 502, message: "Provider \(inline.name) answered batch \(record.id) with no batch object.")
                }
                let stored = (try? JSONValue.parse(record.object).objectValue) ?? JSONObject()
                for key in Self.hostKeys { object[key] = stored[key] ?? .null }
                seen(object)
            } catch {
                completion(.failure(error))
            }
        }
    }

    /// The provider's refusal, in the gateway's words: its 401/403 are about the gateway's own
    /// credentials (a 502, not the client's fault); its 404, 429 and 4xx pass with their status.
    static func refusal(_ answer: NativeAnswer, provider: String) -> GatewayError {
        let detail = String(decoding: answer.body.prefix(2048), as: UTF8.self)
        if answer.status == 401 || answer.status == 403 {
            return .upstream(status: 502, message: "Provider \(provider) refused the gateway's credentials (HTTP \(answer.status)): \(detail)")
        }
        return .upstream(status: answer.status >= 500 ? 502 : answer.status, message: "Provider \(provider): \(detail)")
    }

    private func seen(_ object: JSONObject) {
        let status = object["status"]?.stringValue ?? record.status
        let fetched = object["output_file_id"]?.isNull == false || object["error_file_id"]?.isNull == false
        guard BatchRecord.terminalStates.contains(status), !fetched else { return keep(object) }
        let id = record.id
        // Claimed before looking, so that no two requests fetch: another may have fetched the
        // results since this one read the record (and released its claim): the usage rows say
        // so, and the record as it is now names the files.
        let claimed = fetchesResults && usage.claim(id)
        store.read(onLoop: context.upstream.loop, { db throws(StoreError) -> [UInt8]? in
            guard case .integer(let count)? = try db.scalar("SELECT count(*) FROM batch_usage WHERE batch_id = ?", [.text(id)]), count > 0 else { return nil }
            return try BatchRecord.find(id: id, db)?.object
        }) { [self] looked in
            switch looked {
            case .success(let current?):
                if claimed { usage.release(id) }
                var fetched = object
                let recorded = (try? JSONValue.parse(current).objectValue) ?? JSONObject()
                for key in Self.hostKeys { fetched[key] = recorded[key] ?? .null }
                keep(fetched)  // fetched already (possibly with no result lines)
            case .success where claimed:
                fetch(object)
            default:
                if claimed { usage.release(id) }
                finalizing(object)
            }
        }
    }

    /// Stores and answers the object as it is now.
    private func keep(_ object: JSONObject) {
        BatchRefresh.keep(object, of: record, registers: false, store: store, context: context) { [completion] kept in
            completion(kept.map { NativeAnswer(status: 200, headers: [], body: $0.object) })
        }
    }

    /// Answers an ended batch whose results are not recorded yet, without storing it.
    private func finalizing(_ object: JSONObject) {
        var shown = object
        shown["status"] = "finalizing"
        completion(.success(NativeAnswer(status: 200, headers: [], body: BatchObject.render(shown, record: record, files: [:]))))
    }

    private func fetch(_ object: JSONObject) {
        guard let held = services.heldFiles else { return finalizing(object) }
        let startedAt = monotonicNanoseconds()
        let results = InlineResults(
            record: record, object: object, inline: inline, held: held, store: store, loop: context.upstream.loop,
            call: call.description(SY_OP_BATCHES),
            lineRecords: services.accessLog.usageRecorder.map { BatchLineRecords(costs: $0.costs, provider: inline.name, mode: "inline_batch") },
            keepsLines: BatchUsageLedger.keepsLines(services)
        ) { [self] outcome in
            usage.release(record.id)
            switch outcome {
            case .failure(let error):
                services.log.warn("a batch's results could not be fetched; it shows as finalizing until they are", fields: [
                    ("batch", record.id), ("error", error.message)])
                finalizing(object)
            case .success(let ended):
                if ended.firstRecording {
                    services.governance?.chargeBatch(ended.record, lines: ended.totals.lineUsage, discount: inline.configured.batchDiscount,
                                                     keys: services.keys, on: context.upstream.loop)
                }
                BatchUsageLedger.log(ended.totals, record: ended.record, provider: inline.name, discount: inline.configured.batchDiscount,
                                     startedAt: startedAt, services: services, context: context)
                completion(.success(NativeAnswer(status: 200, headers: [], body: ended.record.object)))
            }
        }
        results.start(on: context.upstream)
    }
}
