import Synchronization
import SwitchyardHTTP
import SwitchyardJSON

/// Routes the mock's endpoints. Runs on the connection's loop; delays and pacing use loop
/// timers, never sleeps.
final class MockResponder: HTTPResponder, Sendable {
    let defaults: MockKnobs
    let journal = MockJournal()
    let counter = Atomic<Int>(0)

    init(defaults: MockKnobs) { self.defaults = defaults }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        switch (request.method, request.path) {
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"):
            chat(request, writer)
        case ("GET", "/v1/models"), ("GET", "/models"):
            json(writer, 200, Array(#"{"object":"list","data":[{"id":"mock-model","object":"model","created":0,"owned_by":"switchyard-mock"}]}"#.utf8))
        case ("GET", "/_mock/requests"):
            json(writer, 200, journal.snapshot())
        default:
            json(writer, 404, error("no route for \(request.method) \(request.path)", type: "invalid_request_error"))
        }
    }

    private func chat(_ request: HTTPRequest, _ writer: ResponseWriter) {
        let knobs = defaults.overridden(by: request.headers)
        let parsed = try? JSONValue.parse(request.body)
        journal.record(request, model: parsed?["model"]?.stringValue)
        guard let body = parsed, body["messages"]?.arrayValue != nil else {
            return json(writer, 400, error("body must be a JSON object with messages", type: "invalid_request_error"))
        }
        let completion = MockCompletion(request: body, id: "chatcmpl-mock-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)")
        let answer = { [self] in
            guard !writer.isClosed else { return }
            if knobs.status != 200 {
                var headers = HTTPHeaders([("Content-Type", "application/json")])
                if knobs.status == 429 { headers.add("Retry-After", "1") }
                let type = knobs.status == 429 ? "rate_limit_error" : (knobs.status >= 500 ? "server_error" : "invalid_request_error")
                return writer.send(status: knobs.status, headers: headers, body: error("mock error \(knobs.status)", type: type))
            }
            if body["stream"]?.boolValue == true {
                stream(completion.events(chunks: knobs.chunks), writer, knobs)
            } else {
                json(writer, 200, completion.whole())
            }
        }
        if knobs.delayMilliseconds > 0 {
            writer.loop.schedule(after: UInt64(knobs.delayMilliseconds) * 1_000_000, answer)
        } else {
            answer()
        }
    }

    private func stream(_ events: [[UInt8]], _ writer: ResponseWriter, _ knobs: MockKnobs) {
        writer.startStream(status: 200, headers: HTTPHeaders([("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")]))
        var next = 0
        func send() {
            while !writer.isClosed {
                if let cut = knobs.cutAfterEvents, next >= cut { return writer.abort() }
                if next == events.count {
                    writer.write(Array("data: [DONE]\n\n".utf8))
                    return writer.finish()
                }
                var frame = Array("data: ".utf8)
                frame += events[next]
                frame += [10, 10]
                writer.write(frame)
                next += 1
                if knobs.chunkDelayMilliseconds > 0 {
                    writer.loop.schedule(after: UInt64(knobs.chunkDelayMilliseconds) * 1_000_000) { send() }
                    return
                }
            }
        }
        send()
    }

    private func json(_ writer: ResponseWriter, _ status: Int, _ body: [UInt8]) {
        writer.send(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }

    private func error(_ message: String, type: String) -> [UInt8] {
        let value: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": nil, "code": nil]]
        return value.serialized()
    }
}

/// The last requests the mock saw, for tests to assert what a gateway sent upstream.
final class MockJournal: Sendable {
    private let entries = Mutex<[JSONValue]>([])

    func record(_ request: HTTPRequest, model: String?) {
        var entry = JSONObject()
        entry["path"] = .string(request.path)
        entry["model"] = model.map { .string($0) } ?? .null
        entry["authorization"] = request.headers["authorization"].map { .string($0) } ?? .null
        entry["x_team"] = request.headers["x-team"].map { .string($0) } ?? .null
        entry["body_bytes"] = .number(request.body.count)
        entries.withLock { list in
            list.append(.object(entry))
            if list.count > 256 { list.removeFirst(list.count - 256) }
        }
    }

    func snapshot() -> [UInt8] {
        entries.withLock { JSONValue.array($0).serialized() }
    }
}
