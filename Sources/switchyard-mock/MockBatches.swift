import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix

/// OpenAI's Batch API: `POST /v1/batches`, `GET /v1/batches/{id}`, `GET /v1/batches`,
/// `POST /v1/batches/{id}/cancel`.
///
/// A batch starts `validating`; the batch worker checks its input file and moves it to
/// `in_progress` (or `failed`, with `errors`). After the batch delay (`x-mock-batch-delay-ms` on
/// the create request, else `--batch-delay-ms`), counted from creation, the worker answers every
/// line (`finalizing`) and stores the output and error files (`completed`). A cancel moves a
/// batch that has not finished to `cancelling`, and after the cancel request's batch delay to
/// `cancelled`, with no output. Timers run on the loop that took the request; file work runs
/// on the worker.
extension MockResponder {
    static let batchEndpoints = ["/v1/chat/completions", "/v1/embeddings", "/v1/responses"]

    func batchesRoute(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = defaults.overridden(by: request.headers)
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(3)  // "", "v1", "batches"
        let answer: () -> Void
        switch (request.method, segments.count, segments.last) {
        case ("POST", 0, _):
            answer = { [self] in createBatch(parsed, delay: knobs.batchDelay(request.headers), writer) }
        case ("GET", 0, _):
            answer = { [self] in listBatches(request.query, writer) }
        case ("GET", 1, let id?):
            let id = String(id)
            answer = { [self] in
                guard let batch = openAIBatches.get(id) else { return noSuchBatch(id, writer) }
                json(writer, 200, batch.json.serialized())
            }
        case ("POST", 2, "cancel"):
            let id = String(segments[segments.startIndex])
            answer = { [self] in cancelBatch(id, delay: knobs.batchDelay(request.headers), writer) }
        default:
            return json(writer, 404, MockError.body("no route for \(request.method) \(request.path)", type: "invalid_request_error"))
        }
        deliver(knobs, writer, errors: .openAI, answer)
    }

    private func noSuchBatch(_ id: String, _ writer: ResponseWriter) {
        MockErrorFormat.openAI.send(MockRejection(status: 404, message: "No batch found with id '\(id)'.", param: "batch_id"), to: writer)
    }

    private func createBatch(_ parsed: JSONValue?, delay: UInt64, _ writer: ResponseWriter) {
        let batch: MockBatch
        do throws(MockRejection) {
            guard let body = parsed, body.objectValue != nil else { throw MockRejection(message: "We could not parse the JSON body of your request.") }
            guard let fileID = body["input_file_id"]?.stringValue else { throw MockRejection(message: "Missing required parameter: 'input_file_id'.", param: "input_file_id") }
            guard let endpoint = body["endpoint"]?.stringValue else { throw MockRejection(message: "Missing required parameter: 'endpoint'.", param: "endpoint") }
            guard Self.batchEndpoints.contains(endpoint) else {
                throw MockRejection(message: "Invalid value for 'endpoint': the mock batches \(Self.batchEndpoints.joined(separator: ", ")).", param: "endpoint")
            }
            guard let window = body["completion_window"]?.stringValue else {
                throw MockRejection(message: "Missing required parameter: 'completion_window'.", param: "completion_window")
            }
            guard window == "24h" else { throw MockRejection(message: "Invalid value for 'completion_window': expected '24h'.", param: "completion_window") }
            let metadata = body["metadata"] ?? nil
            guard metadata.isNull || metadata.objectValue != nil else { throw MockRejection(message: "Invalid type for 'metadata': expected an object.", param: "metadata") }
            guard let file = storedFiles.get(fileID) else { throw MockRejection(status: 404, message: "No such File object: \(fileID)", param: "input_file_id") }
            guard file.purpose == "batch" else {
                throw MockRejection(message: "The input file must be uploaded with purpose 'batch', not '\(file.purpose)'.", param: "input_file_id")
            }
            let now = MockClock.seconds(MockClock.nowMicroseconds())
            guard let created = openAIBatches.insert({ id in
                MockBatch(id: id, endpoint: endpoint, inputFileID: fileID, input: file.data, completionWindow: window, metadata: metadata, createdAt: now)
            }) else { throw MockRejection(message: "The mock keeps at most \(openAIBatches.limit) batches.") }
            batch = created
        } catch {
            return MockErrorFormat.openAI.send(error, to: writer)
        }
        let loop = writer.loop
        onWorker(loop) { [self] in validateBatch(batch.id) }
        loop.schedule(after: delay) { [self] in onWorker(loop) { [self] in completeBatch(batch.id) } }
        json(writer, 200, batch.json.serialized())
    }

    /// On the worker: `validating` → `in_progress` with the line count, or `failed` with why.
    private func validateBatch(_ id: String) {
        guard let batch = openAIBatches.get(id) else { return }
        let result = MockBatchLines.validate(batch.input, endpoint: batch.endpoint)
        let now = MockClock.seconds(MockClock.nowMicroseconds())
        _ = openAIBatches.update(id) { batch in
            switch result {
            case .valid(let total, let model):
                batch.total = total
                batch.model = model
                if batch.status == .validating {
                    batch.status = .inProgress
                    batch.inProgressAt = now
                }
            case .invalid(let errors):
                guard batch.status == .validating else { return }  // cancelled meanwhile: cancelled it stays
                batch.status = .failed
                batch.failedAt = now
                batch.errors = errors
            }
        }
    }

    /// On the worker, once the delay has passed: an `in_progress` batch is answered line by line
    /// (`finalizing`), its files are stored, and it is `completed`. Any other batch is left alone.
    private func completeBatch(_ id: String) {
        let now = MockClock.seconds(MockClock.nowMicroseconds())
        let claimed = openAIBatches.update(id) { batch -> MockBatch? in
            guard batch.status == .inProgress else { return nil }
            batch.status = .finalizing
            batch.finalizingAt = now
            return batch
        }
        guard let claimed, let batch = claimed else { return }
        var outcome = MockBatchLines.Outcome()
        var errors: [JSONValue] = []
        do {
            outcome = try MockBatchLines.run(batch.input, endpoint: batch.endpoint, responder: self)
        } catch {
            errors = [["code": "server_error", "message": .string(error.message), "param": nil, "line": nil]]
        }
        let created = MockClock.nowMicroseconds()
        let outputID = outcome.output.flatMap { storeBatchFile($0, name: "\(batch.id)_output.jsonl", created: created) }
        let errorID = outcome.errors.flatMap { storeBatchFile($0, name: "\(batch.id)_error.jsonl", created: created) }
        _ = openAIBatches.update(id) { batch in
            batch.outputFileID = outputID
            batch.errorFileID = errorID
            batch.completed = outcome.completed
            batch.failed = outcome.failed
            batch.usage = outcome.usage
            if errors.isEmpty {
                batch.status = .completed
                batch.completedAt = MockClock.seconds(created)
            } else {
                batch.status = .failed
                batch.failedAt = MockClock.seconds(created)
                batch.errors = errors
            }
        }
    }

    /// A batch's output or error file: stored even past `--max-files` (a batch must be able to
    /// finish), `batch_output`, expiring with the batch files.
    private func storeBatchFile(_ data: MockDiskFile, name: String, created: Int) -> String? {
        storedFiles.insert(beyondLimit: true) { id in
            MockStoredFile(id: id, filename: name, purpose: "batch_output", createdAt: created,
                           expiresAt: MockClock.seconds(created) + MockStoredFile.batchExpirySeconds, data: data)
        }?.id
    }

    private func cancelBatch(_ id: String, delay: UInt64, _ writer: ResponseWriter) {
        let now = MockClock.seconds(MockClock.nowMicroseconds())
        let result = openAIBatches.update(id) { batch -> (MockBatch, Bool) in
            guard batch.isCancellable else { return (batch, batch.status == .cancelling) }
            batch.status = .cancelling
            batch.cancellingAt = now
            return (batch, true)
        }
        guard let (batch, accepted) = result else { return noSuchBatch(id, writer) }
        guard accepted else {
            return MockErrorFormat.openAI.send(MockRejection(status: 409, message: "Cannot cancel a batch with status '\(batch.status.rawValue)'."), to: writer)
        }
        // A second cancel schedules a second timer: whichever fires first ends the cancelling.
        writer.loop.schedule(after: delay) { [self] in
            _ = openAIBatches.update(id) { batch in
                guard batch.status == .cancelling else { return }
                batch.status = .cancelled
                batch.cancelledAt = MockClock.seconds(MockClock.nowMicroseconds())
            }
        }
        json(writer, 200, batch.json.serialized())
    }

    /// `?after=&limit=`: newest first, 20 by default, 100 at most.
    private func listBatches(_ query: String?, _ writer: ResponseWriter) {
        let parameters = MockQuery(query)
        do throws(MockRejection) {
            let limit = try parameters.limit(default: 20, range: 1...100)
            let page = openAIBatches.page(after: try parameters.cursor("after", on: openAIBatches), limit: limit)
            json(writer, 200, Self.list(page.records.map(\.json), page))
        } catch {
            MockErrorFormat.openAI.send(error, to: writer)
        }
    }

    /// Runs `job` on the batch worker; when its queue is full, tries again from `loop` a little
    /// later rather than drop it.
    func onWorker(_ loop: EventLoop, _ job: @escaping @Sendable () -> Void) {
        if batchWorker.submit(job) { return }
        loop.schedule(after: 10_000_000) { [self] in onWorker(loop, job) }
    }
}
