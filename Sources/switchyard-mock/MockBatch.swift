import SwitchyardJSON

/// One OpenAI batch as the mock keeps it, and its `batch` object. The input file is held by
/// reference, so deleting it from the Files API does not break a batch that reads it.
struct MockBatch: Sendable {
    enum Status: String, Sendable {
        case validating, failed, inProgress = "in_progress", finalizing, completed, expired, cancelling, cancelled
    }

    let id: String
    let endpoint: String
    let inputFileID: String
    let input: MockDiskFile
    let completionWindow: String
    let metadata: JSONValue
    /// Unix seconds, as are the other times.
    let createdAt: Int
    var status = Status.validating
    var inProgressAt: Int?
    var finalizingAt: Int?
    var completedAt: Int?
    var failedAt: Int?
    var cancellingAt: Int?
    var cancelledAt: Int?
    /// Why validation failed: `{code, message, param, line}` each.
    var errors: [JSONValue] = []
    var total = 0
    var completed = 0
    var failed = 0
    var outputFileID: String?
    var errorFileID: String?
    var usage = MockBatchUsage()
    /// The first line's model.
    var model: String?

    var json: JSONValue {
        func time(_ value: Int?) -> JSONValue { value.map { .number($0) } ?? nil }
        func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? nil }
        return .object(JSONObject([
            ("id", .string(id)), ("object", "batch"), ("endpoint", .string(endpoint)), ("model", optional(model)),
            ("errors", errors.isEmpty ? nil : ["object": "list", "data": .array(errors)]),
            ("input_file_id", .string(inputFileID)), ("completion_window", .string(completionWindow)), ("status", .string(status.rawValue)),
            ("output_file_id", optional(outputFileID)), ("error_file_id", optional(errorFileID)), ("created_at", .number(createdAt)),
            ("in_progress_at", time(inProgressAt)), ("expires_at", .number(createdAt + 86_400)), ("finalizing_at", time(finalizingAt)),
            ("completed_at", time(completedAt)), ("failed_at", time(failedAt)), ("expired_at", nil), ("cancelling_at", time(cancellingAt)),
            ("cancelled_at", time(cancelledAt)),
            ("request_counts", ["total": .number(total), "completed": .number(completed), "failed": .number(failed)]),
            ("usage", usage.json), ("metadata", metadata),
        ]))
    }

    /// Whether a cancel request can still stop it.
    var isCancellable: Bool { status == .validating || status == .inProgress }
}

/// The lines of an OpenAI batch input file, on the batch worker: checked as OpenAI validates a
/// batch (every problem listed with its line number, up to 100), then answered one by one into
/// an output file and an error file. Lines are read from disk one at a time.
enum MockBatchLines {
    /// OpenAI's limit of requests per batch.
    static let maxRequests = 50_000
    static let maxLineBytes = 8 * 1024 * 1024
    static let maxErrors = 100

    enum Validation {
        case valid(total: Int, model: String?)
        case invalid([JSONValue])
    }

    static func validate(_ file: MockDiskFile, endpoint: String) -> Validation {
        var errors: [JSONValue] = []
        var seen = Set<String>()
        var total = 0
        var model: String?
        func problem(_ code: String, _ message: String, param: String? = nil, line: Int) {
            if errors.count < maxErrors {
                errors.append(["code": .string(code), "message": .string(message), "param": param.map { .string($0) } ?? nil, "line": .number(line)])
            }
        }
        let walk = file.forEachLine(maxLineBytes: maxLineBytes) { bytes, number in
            total += 1
            guard let line = try? JSONValue.parse(bytes), line.objectValue != nil else {
                return problem("invalid_json_line", "This line is not parseable as valid JSON.", line: number)
            }
            guard let customID = line["custom_id"]?.stringValue else {
                return problem("missing_required_parameter", "Missing required parameter: 'custom_id'.", param: "custom_id", line: number)
            }
            if !seen.insert(customID).inserted {
                problem("duplicate_custom_id", "The custom_id for this request is a duplicate of another request. The custom_id parameter must be unique for each request in a batch.", param: "custom_id", line: number)
            }
            if line["method"]?.stringValue != "POST" {
                problem("invalid_method", "The method must be 'POST'.", param: "method", line: number)
            }
            if line["url"]?.stringValue != endpoint {
                problem("url_mismatch", "The provided url '\(line["url"]?.stringValue ?? "")' does not match the batch endpoint '\(endpoint)'.", param: "url", line: number)
            }
            guard line["body"]?.objectValue != nil else {
                return problem("missing_required_parameter", "Missing required parameter: 'body' (a JSON object).", param: "body", line: number)
            }
            if model == nil { model = line["body"]?["model"]?.stringValue }
        }
        if case .tooLong(let line) = walk { problem("invalid_json_line", "This line is longer than \(maxLineBytes) bytes.", line: line) }
        if total == 0 { problem("empty_file", "The batch input file is empty.", line: 1) }
        if total > maxRequests { problem("too_many_tasks", "The batch has \(total) requests; a batch holds at most \(maxRequests).", line: maxRequests + 1) }
        return errors.isEmpty ? .valid(total: total, model: model) : .invalid(errors)
    }

    struct Outcome {
        var output: MockDiskFile?
        var errors: MockDiskFile?
        var completed = 0
        var failed = 0
        var usage = MockBatchUsage()
    }

    /// Answers every line of a validated file: a 200 goes to the output file, anything else to
    /// the error file, each as `{id, custom_id, response: {status_code, request_id, body}, error: null}`.
    static func run(_ file: MockDiskFile, endpoint: String, responder: MockResponder) throws(MockRejection) -> Outcome {
        var outcome = Outcome()
        var failure: MockRejection?
        _ = file.forEachLine(maxLineBytes: maxLineBytes) { bytes, _ in
            guard failure == nil, let line = try? JSONValue.parse(bytes), let body = line["body"] else { return }
            let answer = MockBatchAnswer.openAI(endpoint: endpoint, body: body, responder: responder)
            let number = responder.nextNumber()
            var text: [UInt8] = Array(#"{"id":"batch_req_mock_\#(number)","custom_id":"#.utf8)
            text += (line["custom_id"] ?? nil).serialized()
            text += Array(#","response":{"status_code":\#(answer.status),"request_id":"req_mock_\#(number)","body":"#.utf8)
            text += answer.body
            text += Array("},\"error\":null}\n".utf8)
            do throws(MockRejection) {
                if answer.status == 200 {
                    outcome.completed += 1
                    outcome.usage += answer.usage
                    if outcome.output == nil { outcome.output = try MockDiskFile() }
                    try outcome.output?.append(text)
                } else {
                    outcome.failed += 1
                    if outcome.errors == nil { outcome.errors = try MockDiskFile() }
                    try outcome.errors?.append(text)
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return outcome
    }
}
