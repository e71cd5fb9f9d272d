import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore
import SwitchyardUpstream

/// `POST /v1/batches`: the input file is read from the provider holding it and prepared line
/// by line (InputPreparation); when a line changed, the prepared file is uploaded as a new file;
/// then the batch is created upstream and recorded in the store, and the client gets OpenAI's
/// batch object with the gateway's ids.
///
/// All or nothing: if anything fails after the prepared file was uploaded (the provider refuses
/// the batch, the store cannot record it), that file is deleted again, and a batch created
/// upstream but not recorded is cancelled; the client gets one error (a refused line: 400
/// naming the line). A client who leaves before the batch is created stops the work and the
/// same rollback runs; after that, the batch is recorded whatever the client does.
///
/// Threading: loop-confined (the request's loop); store completions come back to it.
/// Lifetime: retained by the closures of the step in progress.
final class BatchCreation {
    let exchange: NativeRequest
    let services: GatewayServices
    let store: Store
    let context: LoopContext
    let request: BatchCreateRequest
    var call: NativeCall { exchange.call }
    var done: Bool { exchange.finished }
    var provider: NativeProvider?
    /// The provider running the batch when it runs batches inline (its input held here).
    var inline: InlineBatchProvider?
    var providerName: String { provider?.name ?? inline?.name ?? "" }
    var input: FileRecord?
    var preparing: InputPreparation?
    /// The provider's id of the prepared file the gateway uploaded, until it is recorded.
    var uploaded: String?
    /// That file's name and size, for its record.
    var preparedFile = (name: "", bytes: 0)
    /// The batch exists upstream: a client leaving no longer undoes anything.
    var committed = false

    init(request: BatchCreateRequest, exchange: NativeRequest, store: Store) {
        self.request = request
        self.exchange = exchange
        self.store = store
        services = exchange.services
        context = exchange.context
    }

    func start() {
        exchange.onStop = { [self] in
            guard !committed else { return }
            preparing?.cancel()
            preparing = nil
            rollback()
        }
        let id = request.inputFileID
        // Another key's file is answered like an unknown one (OwnerFilter).
        let owners = OwnerFilter(exchange.caller)
        store.read(onLoop: context.upstream.loop, { db throws(StoreError) in try FileRecord.find(id: id, db) }) { [self] result in
            switch result {
            case .failure(let error): fail(.unavailable("The gateway's store could not be read: \(error.message)"))
            case .success(let file?) where owners.admits(file.keyID): prepare(file)
            case .success: fail(GatewayError(status: 404, type: "invalid_request_error", code: "file_not_found", param: "input_file_id",
                                             message: "No such File object: \(id)."))
            }
        }
    }

    private func prepare(_ file: FileRecord) {
        guard !done else { return }
        input = file
        exchange.provider = file.provider
        guard file.purpose == "batch" else {
            return fail(.invalidRequest("The file \(file.id) has purpose '\(file.purpose)'; a batch's input needs purpose 'batch'.", param: "input_file_id"))
        }
        if file.provider.isEmpty { return prepareHeld(file) }
        guard let provider = services.nativeProvider(file.provider, for: "batches") else {
            return fail(.invalidRequest("The file \(file.id) is held by provider '\(file.provider)', which does not run batches.", param: "input_file_id"))
        }
        self.provider = provider
        do throws(GatewayError) {
            let preparation = try BatchLinePreparation(
                services: services, context: context, provider: file.provider, batchRequest: JSONValue.object(request.body).serialized(),
                requestID: exchange.request.requestID)
            let spool = try SpoolFile(in: Self.spoolFolder(of: store))
            let download = try provider.request("GET", "/v1/files/\(file.upstreamID)/content", call: call.description(SY_OP_BATCHES))
            let preparing = InputPreparation(preparation: preparation, provider: file.provider, keepLine: { _, line throws(GatewayError) in
                try spool.appendLine(line)
            }) { [self] result in
                self.preparing = nil
                switch result {
                case .failure(let error): fail(error)
                case .success(let prepared) where prepared.changed: upload(spool, named: file.filename)
                case .success: create(inputUpstreamID: file.upstreamID)
                }
            }
            self.preparing = preparing
            preparing.start(download, on: context.upstream)
        } catch {
            fail(error)
        }
    }

    private func upload(_ spool: SpoolFile, named filename: String) {
        guard let provider, !done else { return }
        let stem = filename.hasSuffix(".jsonl") ? String(filename.dropLast(6)) : filename
        do throws(GatewayError) {
            exchange.transfer = try NativeFileUpload.start(
                provider: provider, purpose: "batch", filename: stem + ".prepared.jsonl", body: spool, call: call, context: context,
                maxAnswerBytes: Self.maxAnswerBytes
            ) { [self] result in
                exchange.transfer = nil
                switch result {
                case .failure(let error): fail(error)
                case .success(let file):
                    uploaded = file.upstreamID
                    preparedFile = (stem + ".prepared.jsonl", spool.count)
                    create(inputUpstreamID: file.upstreamID)
                }
            }
        } catch {
            fail(error)
        }
    }

    private func create(inputUpstreamID: String) {
        guard let provider, !done else { return rollback() }
        do throws(GatewayError) {
            let upstream = try provider.request(
                "POST", "/v1/batches", headers: [("Content-Type", "application/json")], body: request.upstreamBody(inputFile: inputUpstreamID),
                call: call.description(SY_OP_BATCHES))
            // From here the batch may exist upstream whatever happens to the client: its answer
            // is awaited and recorded (a client leaving no longer cancels or rolls back).
            committed = true
            NativeExchange.send(upstream, provider: provider.name, on: context.upstream, maxBytes: Self.maxAnswerBytes) { [self] result in
                switch result {
                case .failure(let error): fail(error)
                case .success(let answer) where !answer.succeeded: failForwarding(answer)
                case .success(let answer): record(answer.body, inputUpstreamID: inputUpstreamID)
                }
            }
        } catch {
            fail(error)
        }
    }

    /// The batch exists upstream: from here on it is recorded whatever the client does.
    func record(_ body: [UInt8], inputUpstreamID: String) {
        guard let input else { return }
        guard var upstream = try? JSONValue.parse(body).objectValue, let upstreamID = upstream["id"]?.stringValue else {
            return unreadable(body)
        }
        // What the client asked for, where the provider's object does not say it (an inline one).
        for key in ["endpoint", "completion_window", "metadata"] where upstream[key] == nil {
            upstream[key] = request.body[key] ?? .null
        }
        let now = Int(unixNanoseconds() / 1_000_000_000)
        var record = BatchRecord(
            id: GatewayID.batch(), provider: providerName, upstreamID: upstreamID, inputFileID: input.id, upstreamInputFileID: inputUpstreamID,
            rewritten: uploaded != nil, endpoint: request.endpoint, createdAt: upstream["created_at"]?.intValue ?? now,
            status: upstream["status"]?.stringValue ?? "validating", object: [])
        record.keyID = exchange.caller?.keyID
        record.user = exchange.caller?.user
        record.team = exchange.caller?.team
        record.object = BatchObject.render(upstream, record: record, files: [:])
        let row = record
        let prepared = uploaded.map {
            FileRecord(id: GatewayID.file(), provider: providerName, upstreamID: $0, filename: preparedFile.name, purpose: "batch",
                       bytes: preparedFile.bytes, createdAt: now, expiresAt: nil, origin: "batch_input", keyID: row.keyID)
        }
        store.write(onLoop: context.upstream.loop, { db throws(StoreError) in
            if let prepared { try FileRecord.insert(prepared, db) }
            try BatchRecord.insert(row, db)
        }) { [self] result in
            switch result {
            case .success:
                uploaded = nil
                answer(status: 200, body: row.object)
            case .failure(let error):
                // Not recorded means not the client's: undo it upstream.
                cancelUpstream(upstreamID)
                committed = false
                fail(.unavailable("The batch could not be recorded (\(error.message)); it was cancelled. Retry the request."))
            }
        }
    }

    // MARK: ending

    func failForwarding(_ answer: NativeAnswer) {
        rollback()
        exchange.send(status: answer.status, body: answer.body, failure: "provider refused the batch (HTTP \(answer.status))")
    }

    /// The provider said yes with an answer the gateway cannot read: a batch may be running
    /// there that nobody can see. Its input stays (deleting it would fail that batch blindly);
    /// an operator has the provider's answer in the log.
    func unreadable(_ body: [UInt8]) {
        uploaded = nil
        services.log.error("a batch may have been created at the provider but its answer could not be read", requestID: exchange.request.requestID, fields: [
            ("provider", providerName), ("answer", String(decoding: body.prefix(1024), as: UTF8.self))])
        fail(.upstream(status: 502, message: "Provider \(providerName) answered the batch with nothing the gateway can read; the batch may exist there."))
    }

    func fail(_ error: GatewayError) {
        preparing?.cancel()
        preparing = nil
        rollback()
        exchange.fail(error)
    }

    func answer(status: Int, body: [UInt8]) {
        exchange.send(status: status, body: body, failure: nil)
    }

    /// Deletes the prepared file uploaded for a batch that did not come to be.
    func rollback() {
        guard let uploaded, let provider else { return }
        self.uploaded = nil
        let warn = { [services] (message: String) in
            services.log.warn("a batch's prepared input could not be deleted", fields: [("provider", provider.name), ("file", uploaded), ("error", message)])
        }
        do throws(GatewayError) {
            try NativeFileDelete.start(provider: provider, upstreamID: uploaded, call: call, context: context, maxAnswerBytes: Self.maxAnswerBytes) { result in
                if case .failure(let error) = result { warn(error.message) }
            }
        } catch {
            warn(error.message)
        }
    }

    func cancelUpstream(_ upstreamID: String) {
        let description = call.description(SY_OP_BATCHES)
        let request = provider.flatMap { try? $0.request("POST", "/v1/batches/\(upstreamID)/cancel", call: description) }
            ?? inline.flatMap { try? $0.request(SY_BATCH_CANCEL, batchID: upstreamID, call: description) }
        let (log, provider, requestID) = (services.log, providerName, exchange.request.requestID)
        func leftRunning(_ why: String) {
            log.error("a batch the store did not record could not be cancelled and runs at the provider", requestID: requestID,
                      fields: [("provider", provider), ("upstream_id", upstreamID), ("error", why)])
        }
        guard let request else { return leftRunning("no cancel request could be built") }
        NativeExchange.send(request, provider: providerName, on: context.upstream, maxBytes: Self.maxAnswerBytes) { result in
            switch result {
            case .failure(let error): leftRunning(error.message)
            case .success(let answer) where !answer.succeeded: leftRunning("HTTP \(answer.status)")
            case .success: break
            }
        }
    }

    /// The most a provider's answer about one file or batch may take (its JSON object).
    static let maxAnswerBytes = 1 << 20

    /// Prepared inputs are spooled beside the store: a disk the operator chose for the
    /// gateway's data, not whatever /tmp is.
    static func spoolFolder(of store: Store) -> String {
        guard let slash = store.path.lastIndex(of: "/") else { return "." }
        return slash == store.path.startIndex ? "/" : String(store.path[..<slash])
    }
}
