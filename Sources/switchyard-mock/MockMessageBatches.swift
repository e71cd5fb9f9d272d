import SwitchyardHTTP
import SwitchyardJSON

/// Anthropic's Message Batches API: `POST /v1/messages/batches`, `GET …/{id}`, `GET
/// /v1/messages/batches`, `POST …/{id}/cancel`, `GET …/{id}/results`, `DELETE …/{id}`; every one
/// wants `anthropic-version`, and errors are in Anthropic's shape.
///
/// A batch is `in_progress` from creation; after the batch delay (`x-mock-batch-delay-ms` on the
/// create request, else `--batch-delay-ms`) the worker answers every request and the batch has
/// `ended`, with its `results_url`. A cancel makes it `canceling`, and after the cancel request's
/// batch delay it ends with every request `canceled`.
extension MockResponder {
    func messageBatchesRoute(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = defaults.overridden(by: request.headers)
        guard request.headers["anthropic-version"] != nil else {
            return MockErrorFormat.anthropic.send(MockRejection(message: "anthropic-version: header is required"), to: writer)
        }
        let base = "http://" + (request.headers["host"] ?? "127.0.0.1")
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(4)  // "", "v1", "messages", "batches"
        let answer: () -> Void
        switch (request.method, segments.count, segments.last) {
        case ("POST", 0, _):
            answer = { [self] in createMessageBatch(parsed, delay: knobs.batchDelay(request.headers), base: base, writer) }
        case ("GET", 0, _):
            answer = { [self] in listMessageBatches(request.query, base: base, writer) }
        case ("GET", 1, let id?):
            let id = String(id)
            answer = { [self] in
                guard let batch = messageBatches.get(id) else { return noSuchMessageBatch(id, writer) }
                json(writer, 200, batch.json(resultsBase: base).serialized())
            }
        case ("DELETE", 1, let id?):
            let id = String(id)
            answer = { [self] in deleteMessageBatch(id, writer) }
        case ("POST", 2, "cancel"):
            let id = String(segments[segments.startIndex])
            answer = { [self] in cancelMessageBatch(id, delay: knobs.batchDelay(request.headers), base: base, writer) }
        case ("GET", 2, "results"):
            let id = String(segments[segments.startIndex])
            answer = { [self] in
                guard let batch = messageBatches.get(id) else { return noSuchMessageBatch(id, writer) }
                guard let results = batch.results else {
                    return MockErrorFormat.anthropic.send(MockRejection(message: "Message Batch \(id) has not ended yet: its results are not available."), to: writer)
                }
                writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "application/binary")]), contentLength: results.count)
                MockFileContentWriter(writer: writer, file: results).pump()
            }
        default:
            return MockErrorFormat.anthropic.send(MockRejection(status: 404, message: "Not found: \(request.method) \(request.path)"), to: writer)
        }
        deliver(knobs, writer, errors: .anthropic, answer)
    }

    private func noSuchMessageBatch(_ id: String, _ writer: ResponseWriter) {
        MockErrorFormat.anthropic.send(MockRejection(status: 404, message: "Message Batch \(id) not found."), to: writer)
    }

    private func createMessageBatch(_ parsed: JSONValue?, delay: UInt64, base: String, _ writer: ResponseWriter) {
        let batch: MockMessageBatch
        do throws(MockRejection) {
            let (requests, total) = try MockMessageBatch.requestLines(parsed)
            let now = MockClock.nowMicroseconds()
            guard let created = messageBatches.insert({ id in MockMessageBatch(id: id, createdAt: now, requests: requests, total: total) }) else {
                throw MockRejection(message: "The mock keeps at most \(messageBatches.limit) message batches; delete some first.")
            }
            batch = created
        } catch {
            return MockErrorFormat.anthropic.send(error, to: writer)
        }
        let loop = writer.loop
        loop.schedule(after: delay) { [self] in onWorker(loop) { [self] in endMessageBatch(batch.id, from: .inProgress) } }
        json(writer, 200, batch.json(resultsBase: base).serialized())
    }

    /// On the worker: a batch still in `from` gets its results (every one `canceled` when it was
    /// canceling) and has `ended`.
    private func endMessageBatch(_ id: String, from status: MockMessageBatch.Status) {
        guard let batch = messageBatches.get(id), batch.status == status else { return }
        let outcome: MockMessageBatch.Outcome
        do {
            outcome = try MockMessageBatch.results(of: batch.requests, canceled: status == .canceling, responder: self)
        } catch {
            return  // no space for the results: the batch stays as it is, as a stuck upstream batch would
        }
        let now = MockClock.nowMicroseconds()
        _ = messageBatches.update(id) { batch in
            guard batch.status == status else { return }
            batch.status = .ended
            batch.endedAt = now
            batch.results = outcome.results
            batch.succeeded = outcome.succeeded
            batch.errored = outcome.errored
            batch.canceled = outcome.canceled
        }
    }

    private func cancelMessageBatch(_ id: String, delay: UInt64, base: String, _ writer: ResponseWriter) {
        let now = MockClock.nowMicroseconds()
        let batch = messageBatches.update(id) { batch -> MockMessageBatch in
            if batch.status == .inProgress {
                batch.status = .canceling
                batch.cancelInitiatedAt = now
            }
            return batch
        }
        guard let batch else { return noSuchMessageBatch(id, writer) }
        if batch.cancelInitiatedAt == now {
            let loop = writer.loop
            loop.schedule(after: delay) { [self] in onWorker(loop) { [self] in endMessageBatch(id, from: .canceling) } }
        }
        // An ended or canceling batch is answered as it is: cancelling it again changes nothing.
        json(writer, 200, batch.json(resultsBase: base).serialized())
    }

    private func deleteMessageBatch(_ id: String, _ writer: ResponseWriter) {
        switch messageBatches.remove(id, if: { $0.status == .ended }) {
        case .removed:
            json(writer, 200, JSONValue.object(JSONObject([("id", .string(id)), ("type", "message_batch_deleted")])).serialized())
        case .refused:
            MockErrorFormat.anthropic.send(MockRejection(message: "Message Batch \(id) is still processing; cancel it and wait for it to end before deleting it."), to: writer)
        case .missing:
            noSuchMessageBatch(id, writer)
        }
    }

    /// `?before_id=&after_id=&limit=`: newest first, 20 by default, 1000 at most.
    private func listMessageBatches(_ query: String?, base: String, _ writer: ResponseWriter) {
        let parameters = MockQuery(query)
        do throws(MockRejection) {
            let limit = try parameters.limit(default: 20, range: 1...1000)
            let after = try parameters.cursor("after_id", on: messageBatches)
            let before = try parameters.cursor("before_id", on: messageBatches)
            let page = messageBatches.page(after: after, before: before, limit: limit)
            json(writer, 200, JSONValue.object(JSONObject([
                ("data", .array(page.records.map { $0.json(resultsBase: base) })), ("has_more", .bool(page.hasMore)),
                ("first_id", page.ids.first.map { .string($0) } ?? nil), ("last_id", page.ids.last.map { .string($0) } ?? nil),
            ])).serialized())
        } catch {
            MockErrorFormat.anthropic.send(error, to: writer)
        }
    }
}
