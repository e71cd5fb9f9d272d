import SwitchyardHTTP
import SwitchyardJSON

/// A request the mock refuses the way the real API would: a status and the API's message. The
/// responder renders it in the format's own error shape (`MockErrorFormat`).
struct MockRejection: Error {
    var status = 400
    let message: String
    /// The offending field, for OpenAI's `error.param`.
    var param: String?
}

/// The three error shapes the mock speaks, each with the error type its API gives each status.
enum MockErrorFormat {
    /// `{"error": {message, type, param, code}}`: chat, embeddings, Responses.
    case openAI
    /// `{"type": "error", "error": {type, message}, "request_id"}`.
    case anthropic
    /// `{"error": {code, message, status}}` (google.rpc.Status).
    case gemini

    func send(_ rejection: MockRejection, to writer: ResponseWriter) {
        let body: [UInt8]
        switch self {
        case .openAI: body = MockError.body(rejection.message, type: MockError.type(for: rejection.status), param: rejection.param)
        case .anthropic: body = Self.anthropicBody(rejection.message, status: rejection.status, requestID: writer.requestID)
        case .gemini: body = Self.geminiBody(rejection.message, status: rejection.status)
        }
        writer.send(status: rejection.status, headers: headers(for: rejection.status), body: body)
    }

    /// The `x-mock-status` answer (`retryAfter`: a scripted fault's `Retry-After`).
    func send(status: Int, retryAfter: String? = nil, to writer: ResponseWriter) {
        if let retryAfter {
            var headers = HTTPHeaders([("Content-Type", "application/json")])
            headers.add("Retry-After", retryAfter)
            let body: [UInt8]
            switch self {
            case .openAI: body = MockError.body("mock error \(status)", type: MockError.type(for: status))
            case .anthropic: body = Self.anthropicBody("mock error \(status)", status: status, requestID: writer.requestID)
            case .gemini: body = Self.geminiBody("mock error \(status)", status: status)
            }
            return writer.send(status: status, headers: headers, body: body)
        }
        switch self {
        case .openAI: MockError.send(status: status, to: writer)
        case .anthropic: send(MockRejection(status: status, message: status == 529 ? "Overloaded" : "mock error \(status)"), to: writer)
        case .gemini: send(MockRejection(status: status, message: "mock error \(status)"), to: writer)
        }
    }

    /// Anthropic says when to retry a rate limit in `retry-after`; Gemini says it in the body's
    /// RetryInfo instead.
    private func headers(for status: Int) -> HTTPHeaders {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if status == 429, self != .gemini { headers.add("Retry-After", "1") }
        return headers
    }

    static func anthropicType(for status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 529: "overloaded_error"
        case 500...: "api_error"
        default: "invalid_request_error"
        }
    }

    static func anthropicError(_ message: String, type: String) -> JSONValue {
        ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
    }

    private static func anthropicBody(_ message: String, status: Int, requestID: String) -> [UInt8] {
        guard case .object(var object) = anthropicError(message, type: anthropicType(for: status)) else { return [] }
        object["request_id"] = .string(requestID)
        return JSONValue.object(object).serialized()
    }

    static func geminiStatus(for status: Int) -> String {
        switch status {
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ABORTED"
        case 429: "RESOURCE_EXHAUSTED"
        case 499: "CANCELLED"
        case 501: "UNIMPLEMENTED"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        case 500...: "INTERNAL"
        default: "INVALID_ARGUMENT"
        }
    }

    private static func geminiBody(_ message: String, status: Int) -> [UInt8] {
        var error = JSONObject([("code", .number(status)), ("message", .string(message)), ("status", .string(geminiStatus(for: status)))])
        if status == 429 {
            error["details"] = [["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1s"]]
        }
        return JSONValue.object(JSONObject([("error", .object(error))])).serialized()
    }
}

/// OpenAI-shaped error answers.
enum MockError {
    static func body(_ message: String, type: String, param: String? = nil, code: String? = nil) -> [UInt8] {
        let value: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": param.map { .string($0) } ?? nil, "code": code.map { .string($0) } ?? nil]]
        return value.serialized()
    }

    /// 429 is a rate limit, 5xx a server error, the rest invalid requests (401 and 403 get
    /// OpenAI's authentication / permission types).
    static func type(for status: Int) -> String {
        switch status {
        case 429: "rate_limit_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 500...: "server_error"
        default: "invalid_request_error"
        }
    }

    /// `x-mock-status`: the error for that status; 429 adds `Retry-After: 1`.
    static func send(status: Int, to writer: ResponseWriter) {
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        if status == 429 { headers.add("Retry-After", "1") }
        writer.send(status: status, headers: headers, body: body("mock error \(status)", type: type(for: status), code: status == 429 ? "rate_limit_exceeded" : nil))
    }
}
