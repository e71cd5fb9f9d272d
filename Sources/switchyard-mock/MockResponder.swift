import Synchronization
import SwitchyardHTTP
import SwitchyardJSON

/// Routes the mock's endpoints. Runs on the connection's loop; delays and pacing use that loop's
/// timers, never sleeps, so one loop serves thousands of slow streams.
final class MockResponder: HTTPResponder, Sendable {
    let defaults: MockKnobs
    let journal = MockJournal()
    let counter = Atomic<Int>(0)

    init(defaults: MockKnobs) { self.defaults = defaults }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        if request.path.hasPrefix("/_mock/") { return control(request, writer) }
        let parsed = request.body.isEmpty ? nil : try? JSONValue.parse(request.body)
        journal.record(request, model: parsed?["model"]?.stringValue)
        switch (request.method, request.path) {
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"):
            chat(request, parsed, writer)
        case ("GET", "/v1/models"), ("GET", "/models"):
            json(writer, 200, Self.models)
        default:
            json(writer, 404, MockError.body("no route for \(request.method) \(request.path)", type: "invalid_request_error"))
        }
    }

    private static let models = Array(#"{"object":"list","data":[{"id":"mock-model","object":"model","created":1700000000,"owned_by":"switchyard-mock"}]}"#.utf8)

    /// `GET /_mock/requests` lists what the mock saw; `DELETE /_mock/requests` forgets it.
    private func control(_ request: HTTPRequest, _ writer: ResponseWriter) {
        switch (request.method, request.path) {
        case ("GET", "/_mock/requests"): json(writer, 200, journal.snapshot())
        case ("DELETE", "/_mock/requests"):
            journal.clear()
            writer.send(status: 204, headers: HTTPHeaders(), body: [])
        default: json(writer, 404, MockError.body("no mock control \(request.method) \(request.path)", type: "invalid_request_error"))
        }
    }

    private func chat(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = defaults.overridden(by: request.headers)
        guard let body = parsed, body["messages"]?.arrayValue != nil else {
            return json(writer, 400, MockError.body("body must be a JSON object with messages", type: "invalid_request_error"))
        }
        let id = "chatcmpl-mock-\(counter.wrappingAdd(1, ordering: .relaxed).newValue)"
        let completion = MockCompletion(request: body, id: id, forceToolCall: knobs.forceToolCall)
        let answer = { [self] in
            guard !writer.isClosed else { return }
            if knobs.status != 200 { return MockError.send(status: knobs.status, to: writer) }
            if body["stream"]?.boolValue == true {
                SSEPacer(events: completion.events(chunks: knobs.chunks), writer: writer, knobs: knobs).start()
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

    private func json(_ writer: ResponseWriter, _ status: Int, _ body: [UInt8]) {
        writer.send(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: body)
    }
}

/// OpenAI-shaped error answers.
enum MockError {
    static func body(_ message: String, type: String, code: String? = nil) -> [UInt8] {
        let value: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": nil, "code": code.map { .string($0) } ?? nil]]
        return value.serialized()
    }

    /// `x-mock-status`: 429 is a rate limit with `Retry-After: 1`, 5xx a server error, the rest
    /// invalid requests (401 and 403 get OpenAI's authentication / permission types).
    static func send(status: Int, to writer: ResponseWriter) {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        let type: String
        switch status {
        case 429:
            headers.add("Retry-After", "1")
            type = "rate_limit_error"
        case 401: type = "authentication_error"
        case 403: type = "permission_error"
        case 500...: type = "server_error"
        default: type = "invalid_request_error"
        }
        writer.send(status: status, headers: headers, body: body("mock error \(status)", type: type, code: status == 429 ? "rate_limit_exceeded" : nil))
    }
}
