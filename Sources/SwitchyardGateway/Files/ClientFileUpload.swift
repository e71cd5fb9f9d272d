import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix
import SwitchyardStore

/// `POST /v1/files`: the client's multipart form read as it arrives. The fields before the file
/// decide the upload (`UploadForm`); at the file part the provider is chosen
/// (`FileProviderChoice`; for purpose `batch` the file's first line is read first, bounded by
/// `maxFirstLineBytes`, still without consuming it); then `NativeFileUpload` sends a new form
/// to that provider with the file part streamed through (`ClientFilePart`). The provider's file
/// object comes back with a new gateway id, once its record is in the store; if the record
/// cannot be written, the provider's file is deleted again and the client hears 503.
///
/// Threading: loop-confined (the request's loop); `@unchecked Sendable` only so that the store's
/// completion, which runs on that loop, may carry it. Lifetime: retained by the body stream's
/// callback and the upload's completion until the exchange ends.
final class ClientFileUpload: @unchecked Sendable {
    static let maxFirstLineBytes = 1 << 20

    private let exchange: NativeRequest
    private let stream: RequestBodyStream
    private let reader: MultipartReader
    private var form = UploadForm()
    private var phase = Phase.form
    private var part: ClientFilePart?
    private var intake: HeldFileIntake?

    private enum Phase {
        case form
        case choosing(MultipartPartHead)
        case streaming
        case done
    }

    init(exchange: NativeRequest, stream: RequestBodyStream, boundary: String) {
        self.exchange = exchange
        self.stream = stream
        reader = MultipartReader(boundary: boundary, maxFieldBytes: UploadForm.maxValueBytes)
    }

    func start() {
        // The stream drops its callback once the response has ended, which ends the cycle.
        stream.onReadable = { [self] in readable() }
        exchange.onStop = { [self] in
            phase = .done
            part?.cancel()
            intake?.cancel()
        }
        advance()
    }

    private func readable() {
        switch phase {
        case .form, .choosing: advance()
        case .streaming: part?.readable()
        case .done: break
        }
    }

    /// Reads the form up to the file part and starts the upload; returns when it must wait for
    /// the client's bytes (`readable` calls again).
    private func advance() {
        do throws(GatewayError) {
            while !exchange.finished {
                switch phase {
                case .form:
                    guard let event = try reader.nextEvent() else {
                        guard try pull() else { return }
                        continue
                    }
                    switch event {
                    case .field(let name, let value):
                        try form.take(name, value)
                    case .file(let head):
                        _ = try form.requiredPurpose()
                        phase = .choosing(head)
                    case .end:
                        throw GatewayError.invalidRequest("Missing required field 'file' (the form has no file part).", code: "missing_required_parameter", param: "file")
                    }
                case .choosing(let head):
                    guard let destination = try choose() else {
                        guard try pull() else { return }
                        continue
                    }
                    switch destination {
                    case .provider(let provider): try upload(to: provider, head: head)
                    case .held(let name): try hold(for: name, head: head)
                    }
                    return
                case .streaming, .done:
                    return
                }
            }
        } catch {
            phase = .done
            exchange.fail(error)
        }
    }

    /// Where the file goes, or nil while the batch file's first line is still arriving.
    private func choose() throws(GatewayError) -> FileDestination? {
        let choice = FileProviderChoice(services: exchange.services)
        if let name = form.provider { return try choice.named(name) }
        guard try form.requiredPurpose() == "batch" else { return .provider(try choice.fallback(model: nil)) }
        switch reader.fileFirstLine(limit: Self.maxFirstLineBytes) {
        case .needMore:
            return nil
        case .tooLong:
            return .provider(try choice.fallback(model: nil))
        case .line(let line):
            let model = FileProviderChoice.model(ofBatchLine: line)
            if let model, let destination = choice.serving(model: model) { return destination }
            return .provider(try choice.fallback(model: model))
        }
    }

    /// Feeds the reader: true when it got bytes (or the body's end), false to wait for more.
    private func pull() throws(GatewayError) -> Bool {
        switch stream.withAvailable({ reader.feed($0) }) {
        case .bytes(let taken):
            guard taken > 0 else { throw GatewayError.internalError("the multipart reader's window is full") }
            return true
        case .wait:
            return false
        case .end:
            reader.finishInput()
            return true
        case .failed(let error):
            throw ClientFilePart.clientError(error)
        }
    }

    private func upload(to provider: NativeProvider, head: MultipartPartHead) throws(GatewayError) {
        let purpose = try form.requiredPurpose()
        let filename = head.filename ?? "file"
        let part = ClientFilePart(stream: stream, reader: reader)
        self.part = part
        phase = .streaming
        exchange.provider = provider.name
        exchange.transfer = try NativeFileUpload.start(
            provider: provider, purpose: purpose, filename: filename, fields: form.forwarded,
            contentType: head.contentType ?? "application/octet-stream", body: part, call: exchange.call, context: exchange.context,
            maxAnswerBytes: provider.configured.limits.maxResponseBytes
        ) { [self] result in
            exchange.transfer = nil
            phase = .done
            guard !exchange.finished else { return }
            switch result {
            case .failure(let error):
                exchange.fail(part.problem ?? error)
            case .success(let uploaded):
                let record = FileObject.record(
                    id: GatewayID.file(), provider: provider.name, upstreamID: uploaded.upstreamID, object: uploaded.object, filename: filename,
                    purpose: purpose, bytes: part.fileBytes, now: Int(unixNanoseconds() / 1_000_000_000), origin: "upload",
                    keyID: exchange.caller?.keyID)
                store(record, object: uploaded.object, provider: provider)
            }
        }
    }

    /// Keeps the file part in the gateway's held files (for `provider`'s inline batches): written
    /// as it arrives, made durable and recorded in one store job, answered after that commit.
    private func hold(for provider: String, head: MultipartPartHead) throws(GatewayError) {
        guard let held = exchange.services.heldFiles, let store = exchange.store else {
            throw GatewayError.unavailable("This gateway keeps no files of its own (no store).")
        }
        let purpose = try form.requiredPurpose()
        let filename = head.filename ?? "file"
        let id = GatewayID.file()
        let writer = try held.create(id)
        let part = ClientFilePart(stream: stream, reader: reader)
        self.part = part
        phase = .streaming
        exchange.provider = provider
        let intake = HeldFileIntake(source: part, writer: writer) { [self] result in
            self.intake = nil
            guard !exchange.finished else { return }
            switch result {
            case .failure(let error):
                phase = .done
                exchange.fail(part.problem ?? error)
            case .success(let bytes):
                let record = FileRecord(
                    id: id, provider: "", upstreamID: id, filename: filename, purpose: purpose, bytes: bytes,
                    createdAt: Int(unixNanoseconds() / 1_000_000_000), expiresAt: nil, origin: "upload", keyID: exchange.caller?.keyID)
                let kept = LoopConfined(writer)
                // The slow fsync off the loop and off the store writer; the job only renames and records.
                store.offLoop(onLoop: exchange.writer.loop, { kept.value.flush() }) { [self] _ in
                    store.write(onLoop: exchange.writer.loop, { db throws(StoreError) in
                        do throws(GatewayError) { try kept.value.commit() } catch { throw StoreError(.cannotOpen, error.message) }
                        try FileRecord.insert(record, db)
                    }) { [self] written in
                        phase = .done
                        switch written {
                        case .success:
                            exchange.answer(FileObject.json(record))
                        case .failure(let error):
                            held.delete(id)
                            exchange.fail(.unavailable("The gateway could not keep the upload (\(error.message)). Retry the upload."),
                                          detail: "store write failed: \(error.message)")
                        }
                    }
                }
            }
        }
        self.intake = intake
        intake.start()
    }

    /// Answers only once the record committed; else takes the upload back.
    private func store(_ record: FileRecord, object: JSONObject, provider: NativeProvider) {
        guard let store = exchange.store else {
            return rollBack(record, provider: provider, reason: "the gateway has no store")
        }
        store.write(on: exchange.writer.loop, { db throws(StoreError) in try FileRecord.insert(record, db) }) { [self] (result: Result<Void, StoreError>) in
            switch result {
            case .success: exchange.answer(FileObject.rewritten(object, id: record.id))
            case .failure(let error): rollBack(record, provider: provider, reason: error.message)
            }
        }
    }

    private func rollBack(_ record: FileRecord, provider: NativeProvider, reason: String) {
        let refusal = GatewayError.unavailable("The gateway could not record the upload (\(reason)); the file was not kept. Retry the upload.")
        let log = exchange.services.log
        let requestID = exchange.request.requestID
        func leftBehind(_ why: String) {
            log.error("an upload the store did not record is left at the provider", requestID: requestID,
                      fields: [("provider", provider.name), ("upstream_id", record.upstreamID), ("error", why)])
        }
        do throws(GatewayError) {
            exchange.transfer = try NativeFileDelete.start(
                provider: provider, upstreamID: record.upstreamID, call: exchange.call, context: exchange.context,
                maxAnswerBytes: provider.configured.limits.maxResponseBytes
            ) { [exchange] outcome in
                exchange.transfer = nil
                if case .failure(let error) = outcome { leftBehind(error.message) }
                exchange.fail(refusal, detail: "store write failed: \(reason)")
            }
        } catch {
            leftBehind(error.message)
            exchange.fail(refusal, detail: "store write failed: \(reason)")
        }
    }
}
