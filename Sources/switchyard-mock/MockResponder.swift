import Synchronization
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix

/// Routes the mock's endpoints. Runs on the connection's loop; delays and pacing use that loop's
/// timers, never sleeps, so one loop serves thousands of slow streams.
final class MockResponder: HTTPResponder, Sendable {
    let defaults: MockKnobs
    let journal = MockJournal()
    /// Failures scripted by `/_mock/faults` for the inference routes.
    let faults = MockFaults()
    let counter = Atomic<Int>(0)
    /// OpenAI's Files API: uploads and batch output, on disk (MockFiles.swift).
    let storedFiles: MockShelf<MockStoredFile>
    let openAIBatches: MockShelf<MockBatch>
    let messageBatches: MockShelf<MockMessageBatch>
    /// Reads and writes batch files off the event loops: one thread, so a batch's validation
    /// always runs before its completion (jobs start in submission order).
    let batchWorker = WorkerPool(threads: 1, queueCapacity: 4096)

    /// `maxFiles`: uploads kept at most (`--max-files`); as many batches of each kind.
    init(defaults: MockKnobs, maxFiles: Int = 1000) {
        self.defaults = defaults
        storedFiles = MockShelf(prefix: "file-mock", limit: maxFiles)
        openAIBatches = MockShelf(prefix: "batch_mock", limit: maxFiles)
        messageBatches = MockShelf(prefix: "msgbatch_mock", limit: maxFiles)
    }

    /// `/_mock/upload` and `POST /v1/files` read their bodies as streams.
    func streamsBody(method: String, target: String, headers: HTTPHeaders, loop: EventLoop) -> Bool {
        Self.streamsUpload(target) || Self.streamsFileUpload(method: method, target: target)
    }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        if request.path.hasPrefix("/_mock/") { return control(request, writer) }
        let parsed = request.body.isEmpty ? nil : try? JSONValue.parse(request.body)
        // Gemini names the model in the path, not the body. A streamed body (a file upload) is
        // journaled once it has been read or refused (MockFileUpload).
        if request.bodyStream == nil {
            journal.record(request, model: parsed?["model"]?.stringValue ?? MockGeminiPath(request.path)?.model, body: parsed)
        }
        // Chat first: it is the benchmark's route, and a switch over strings tries cases in order.
        switch (request.method, request.path) {
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"):
            chat(request, parsed, writer)
        case ("GET", "/v1/models"), ("GET", "/models"):
            json(writer, 200, Self.models)
        case ("GET", _) where MockModel.id(inPath: request.path) != nil:
            model(request, writer)
        case ("POST", "/v1/messages"), ("POST", "/messages"):
            anthropicMessages(request, parsed, writer)
        case ("POST", "/v1/messages/count_tokens"), ("POST", "/messages/count_tokens"):
            anthropicCountTokens(request, parsed, writer)
        case ("POST", "/v1/responses"), ("POST", "/responses"):
            responses(request, parsed, writer)
        case ("POST", "/v1/embeddings"), ("POST", "/embeddings"):
            embeddings(request, parsed, writer)
        case ("POST", _) where request.path.hasPrefix(MockGeminiPath.prefix):
            gemini(request, parsed, writer)
        case (_, _) where Self.isUnder(request.path, "/v1/files"):
            filesRoute(request, writer)
        case (_, _) where Self.isUnder(request.path, "/v1/batches"):
            batchesRoute(request, parsed, writer)
        case (_, _) where Self.isUnder(request.path, "/v1/messages/batches"):
            messageBatchesRoute(request, parsed, writer)
        default:
            json(writer, 404, MockError.body("no route for \(request.method) \(request.path)", type: "invalid_request_error"))
        }
    }

    /// `path` is `prefix` or below it (`/v1/files`, `/v1/files/x`, not `/v1/filesystem`).
    private static func isUnder(_ path: String, _ prefix: String) -> Bool {
        path.hasPrefix(prefix) && (path.utf8.count == prefix.utf8.count || path.utf8.dropFirst(prefix.utf8.count).first == UInt8(ascii: "/"))
    }

    private static let models = Array(#"{"object":"list","data":[{"id":"mock-model","object":"model","created":1700000000,"owned_by":"switchyard-mock"}]}"#.utf8)

    /// `GET /_mock/requests` lists what the mock saw; `DELETE /_mock/requests` forgets it;
    /// `/_mock/upload` and `/_mock/download` move bulk bytes (MockTransfer.swift).
    private func control(_ request: HTTPRequest, _ writer: ResponseWriter) {
        switch (request.method, request.path) {
        case (_, "/_mock/upload"): upload(request, writer)
        case (_, "/_mock/download"): download(request, writer)
        case ("GET", "/_mock/requests"): json(writer, 200, journal.snapshot())
        case ("DELETE", "/_mock/requests"):
            journal.clear()
            writer.send(status: 204, headers: HTTPHeaders(), body: [])
        case ("POST", "/_mock/faults"):
            do throws(MockRejection) {
                try faults.replace(with: request.body.isEmpty ? nil : try? JSONValue.parse(request.body))
                json(writer, 200, faults.snapshot())
            } catch {
                MockErrorFormat.openAI.send(error, to: writer)
            }
        case ("GET", "/_mock/faults"): json(writer, 200, faults.snapshot())
        case ("DELETE", "/_mock/faults"):
            faults.clear()
            writer.send(status: 204, headers: HTTPHeaders(), body: [])
        default: json(writer, 404, MockError.body("no mock control \(request.method) \(request.path)", type: "invalid_request_error"))
        }
    }

    private func chat(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = faults.apply(to: defaults.overridden(by: request.headers))
        guard let body = parsed, body["messages"]?.arrayValue != nil else {
            return json(writer, 400, MockError.body("body must be a JSON object with messages", type: "invalid_request_error"))
        }
        let completion = MockCompletion(request: body, id: "chatcmpl-mock-\(nextNumber())", forceToolCall: knobs.forceToolCall)
        let stream = body["stream"]?.boolValue == true
        deliver(knobs, writer, errors: .openAI) { [self] in
            if stream {
                let events = completion.events(chunks: knobs.chunks)
                SSEPacer(events: events, writer: writer, knobs: knobs, pacedCount: events.count - (completion.includeUsage ? 1 : 0)).start()
            } else {
                json(writer, 200, completion.whole())
            }
        }
    }

    /// Numbers the answers' ids (`chatcmpl-mock-N`, `msg_mock_N`, …), shared by every format.
    func nextNumber() -> Int { counter.wrappingAdd(1, ordering: .relaxed).newValue }

    /// After `x-mock-delay-ms`, either the `x-mock-status` error in `errors`' shape or `answer`
    /// (not at all once the client has gone). Delays are loop timers, never sleeps.
    func deliver(_ knobs: MockKnobs, _ writer: ResponseWriter, errors: MockErrorFormat, _ answer: @escaping () -> Void) {
        if knobs.delayMilliseconds > 0 {
            writer.loop.schedule(after: UInt64(knobs.delayMilliseconds) * 1_000_000) { Self.answer(knobs, writer, errors, answer) }
        } else {
            Self.answer(knobs, writer, errors, answer)  // no second closure on the benchmark's path
        }
    }

    private static func answer(_ knobs: MockKnobs, _ writer: ResponseWriter, _ errors: MockErrorFormat, _ answer: () -> Void) {
        guard !writer.isClosed else { return }
        if knobs.status != 200 { return errors.send(status: knobs.status, retryAfter: knobs.retryAfter, to: writer) }
        answer()
    }

    func json(_ writer: ResponseWriter, _ status: Int, _ body: [UInt8]) {
        writer.send(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }
}
