import SwitchyardJSON

/// One Anthropic Message Batch as the mock keeps it, and its `message_batch` object. Its requests
/// wait on disk, one `{custom_id, params}` line each; its results go to disk when it ends.
struct MockMessageBatch: Sendable {
    enum Status: String, Sendable {
        case inProgress = "in_progress", canceling, ended
    }

    let id: String
    /// Microseconds since the epoch, as are the other times.
    let createdAt: Int
    let requests: MockDiskFile
    let total: Int
    var status = Status.inProgress
    var cancelInitiatedAt: Int?
    var endedAt: Int?
    var succeeded = 0
    var errored = 0
    var canceled = 0
    var results: MockDiskFile?

    /// `resultsBase` is `http://host:port`, the address the request reached the mock at, so the
    /// `results_url` leads back to this mock.
    func json(resultsBase: String) -> JSONValue {
        func time(_ value: Int?) -> JSONValue { value.map { .string(MockClock.rfc3339($0)) } ?? nil }
        let processing = status == .ended ? 0 : total
        return .object(JSONObject([
            ("id", .string(id)), ("type", "message_batch"), ("processing_status", .string(status.rawValue)),
            ("request_counts", [
                "processing": .number(processing), "succeeded": .number(succeeded), "errored": .number(errored),
                "canceled": .number(canceled), "expired": 0,
            ]),
            ("ended_at", time(endedAt)), ("created_at", time(createdAt)), ("expires_at", time(createdAt + 86_400_000_000)),
            ("archived_at", nil), ("cancel_initiated_at", time(cancelInitiatedAt)),
            ("results_url", status == .ended ? .string("\(resultsBase)/v1/messages/batches/\(id)/results") : nil),
        ]))
    }

    /// Anthropic's limit of requests per batch.
    static let maxRequests = 100_000

    /// The requests of a `POST /v1/messages/batches` body as JSONL lines on disk, checked as
    /// Anthropic checks them (the params themselves are checked when the batch runs, and a bad
    /// one is an `errored` result); Anthropic's messages.
    static func requestLines(_ body: JSONValue?) throws(MockRejection) -> (MockDiskFile, Int) {
        guard let body, body.objectValue != nil else { throw MockRejection(message: "The request body is not valid JSON.") }
        guard let requests = body["requests"]?.arrayValue else { throw MockRejection(message: "requests: Field required") }
        guard !requests.isEmpty else { throw MockRejection(message: "requests: List should have at least 1 item after validation, not 0") }
        guard requests.count <= maxRequests else {
            throw MockRejection(message: "requests: List should have at most \(maxRequests) items after validation, not \(requests.count)")
        }
        var seen = Set<String>()
        let file = try MockDiskFile()
        for (index, request) in requests.enumerated() {
            guard let customID = request["custom_id"]?.stringValue else { throw MockRejection(message: "requests.\(index).custom_id: Field required") }
            guard isValidCustomID(customID) else {
                throw MockRejection(message: "requests.\(index).custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'")
            }
            guard seen.insert(customID).inserted else {
                throw MockRejection(message: "requests.\(index).custom_id: Duplicate custom_id '\(customID)'; each request in a batch needs its own.")
            }
            guard let params = request["params"], params.objectValue != nil else { throw MockRejection(message: "requests.\(index).params: Field required") }
            try file.append(JSONValue.object(JSONObject([("custom_id", .string(customID)), ("params", params)])).serialized() + [UInt8(ascii: "\n")])
        }
        return (file, requests.count)
    }

    private static func isValidCustomID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    struct Outcome {
        var results: MockDiskFile
        var succeeded = 0
        var errored = 0
        var canceled = 0
    }

    /// On the batch worker: one result line per request, in order:
    /// `{custom_id, result: {type: "succeeded", message}}` or `{type: "errored", error: {type:
    /// "error", error, request_id}}`; every one `{type: "canceled"}` when `canceled`.
    static func results(of requests: MockDiskFile, canceled: Bool, responder: MockResponder) throws(MockRejection) -> Outcome {
        var outcome = Outcome(results: try MockDiskFile())
        var failure: MockRejection?
        _ = requests.forEachLine(maxLineBytes: .max) { bytes, _ in
            guard failure == nil, let request = try? JSONValue.parse(bytes), let params = request["params"] else { return }
            var line: [UInt8] = Array(#"{"custom_id":"#.utf8) + (request["custom_id"] ?? nil).serialized() + Array(#","result":"#.utf8)
            if canceled {
                outcome.canceled += 1
                line += Array(#"{"type":"canceled"}"#.utf8)
            } else {
                let answer = MockBatchAnswer.anthropic(params: params, responder: responder)
                if answer.status == 200 {
                    outcome.succeeded += 1
                    line += Array(#"{"type":"succeeded","message":"#.utf8) + answer.body + [UInt8(ascii: "}")]
                } else {
                    outcome.errored += 1
                    let error = Array(answer.body.dropLast())  // the error object without its closing brace
                    line += Array(#"{"type":"errored","error":"#.utf8) + error + Array(#","request_id":"req_mock_\#(responder.nextNumber())"}}"#.utf8)
                }
            }
            line += Array("}\n".utf8)
            do throws(MockRejection) { try outcome.results.append(line) } catch { failure = error }
        }
        if let failure { throw failure }
        return outcome
    }
}
