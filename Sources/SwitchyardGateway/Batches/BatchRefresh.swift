import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream
import Synchronization

/// Brings one recorded batch up to date from its provider: `GET /v1/batches/{id}` (or the
/// cancel, which answers the batch too), the result files it names registered as gateway files,
/// the record updated, and the object rendered with the gateway's ids. A batch seen ending for
/// the first time has its usage recorded (BatchUsage).
///
/// Threading: loop-confined; `completion` runs once on the loop.
enum BatchRefresh {
    enum Action { case retrieve, cancel }

    /// `fetchesResults` false (a listing): an inline batch seen ended before its results were
    /// fetched shows as finalizing instead of waiting for the download.
    static func start(
        _ record: BatchRecord, action: Action, fetchesResults: Bool = true, services: GatewayServices, store: Store, context: LoopContext,
        call: NativeCall, usage: BatchUsageLedger, completion: @escaping (Result<NativeAnswer, GatewayError>) -> Void
    ) -> (any UpstreamCall)? {
        if let inline = services.inlineBatchProvider(record.provider) {
            let refresh = InlineBatchRefresh(
                record: record, inline: inline, fetchesResults: fetchesResults, services: services, store: store, context: context,
                call: call, usage: usage, completion: completion)
            return refresh.start(action)
        }
        guard let provider = services.nativeProvider(record.provider, for: "batches") else {
            completion(.failure(.unavailable("Provider '\(record.provider)' of batch \(record.id) no longer runs batches in this configuration.")))
            return nil
        }
        let request: UpstreamRequest
        do {
            request = switch action {
            case .retrieve: try provider.request("GET", "/v1/batches/\(record.upstreamID)", call: call.description(SY_OP_BATCHES))
            case .cancel: try provider.request("POST", "/v1/batches/\(record.upstreamID)/cancel", call: call.description(SY_OP_BATCHES))
            }
        } catch {
            completion(.failure(error))
            return nil
        }
        return NativeExchange.send(request, provider: provider.name, on: context.upstream, maxBytes: 1 << 20) { result in
            switch result {
            case .failure(let error): completion(.failure(error))
            case .success(let answer) where !answer.succeeded: completion(.success(answer))
            case .success(let answer):
                guard let upstream = try? JSONValue.parse(answer.body).objectValue else {
                    return completion(.failure(.upstream(status: 502, message: "Provider \(provider.name) answered batch \(record.id) with no batch object.")))
                }
                keep(upstream, of: record, store: store, context: context) { kept in
                    switch kept {
                    case .failure(let error): completion(.failure(error))
                    case .success(let updated):
                        if updated.isTerminal {
                            usage.account(updated, upstream: upstream, provider: provider, services: services, store: store, context: context)
                        }
                        completion(.success(NativeAnswer(status: 200, headers: [], body: updated.object)))
                    }
                }
            }
        }
    }

    /// Registers the result files (unless they are the gateway's own already: `registers`
    /// false), renders and stores the object; the updated record.
    static func keep(
        _ upstream: JSONObject, of record: BatchRecord, registers: Bool = true, store: Store, context: LoopContext,
        completion: @escaping (Result<BatchRecord, GatewayError>) -> Void
    ) {
        let results = BatchObject.resultFiles(upstream)
        let status = upstream["status"]?.stringValue ?? record.status
        let now = Int(unixNanoseconds() / 1_000_000_000)
        let updated = Mutex<BatchRecord?>(nil)
        store.write(onLoop: context.upstream.loop, { db throws(StoreError) in
            var files: [String: String] = [:]
            for (upstreamID, origin) in results {
                guard registers else { files[upstreamID] = upstreamID; continue }
                let suffix = origin == "batch_output" ? "output" : "errors"
                try FileRecord.insert(FileRecord(
                    id: GatewayID.file(), provider: record.provider, upstreamID: upstreamID, filename: "\(record.id)_\(suffix).jsonl",
                    purpose: "batch_output", bytes: 0, createdAt: now, expiresAt: nil, origin: origin, keyID: record.keyID), db)
                files[upstreamID] = try FileRecord.find(provider: record.provider, upstreamID: upstreamID, db)?.id
            }
            var next = record
            next.status = status
            next.object = BatchObject.render(upstream, record: record, files: files)
            try BatchRecord.update(id: record.id, status: status, object: next.object, db)
            updated.withLock { $0 = next }
        }) { result in
            switch result {
            case .failure(let error): completion(.failure(.unavailable("The gateway's store could not record the batch: \(error.message)")))
            case .success: completion(updated.withLock { $0 }.map { .success($0) } ?? .failure(.internalError("batch record lost")))
            }
        }
    }
}
