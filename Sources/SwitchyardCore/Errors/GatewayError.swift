import SwitchyardJSON

/// An error the gateway answers with: an HTTP status and the OpenAI error object
/// `{"error":{"message","type","param","code"}}` that every OpenAI SDK understands.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let type: String
    public let code: String?
    public let param: String?
    public let message: String
    /// Seconds for a `Retry-After` header (every circuit breaker open: until the first half-opens).
    public var retryAfter: Int?
    /// More response headers (a refusal's `x-ratelimit-*`, `x-should-retry`).
    public var headers: [(name: String, value: String)] = []

    public init(status: Int, type: String, code: String?, param: String? = nil, message: String) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
    }

    public static func == (a: GatewayError, b: GatewayError) -> Bool {
        a.status == b.status && a.type == b.type && a.code == b.code && a.param == b.param && a.message == b.message
            && a.retryAfter == b.retryAfter && a.headers.elementsEqual(b.headers, by: { $0 == $1 })
    }

    public var description: String { "\(status) \(type)\(code.map { "/" + $0 } ?? ""): \(message)" }

    public static func invalidRequest(_ message: String, code: String = "invalid_request", param: String? = nil) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", code: code, param: param, message: message)
    }

    public static func modelNotFound(_ model: String, known: [String]) -> GatewayError {
        let list = known.isEmpty ? "none are configured" : "available: " + known.joined(separator: ", ")
        return GatewayError(
            status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
            message: "The model '\(model)' does not exist or is not served by this gateway (\(list)).")
    }

    public static func routeNotFound(method: String, path: String) -> GatewayError {
        GatewayError(status: 404, type: "invalid_request_error", code: "unknown_url", message: "Unknown request URL: \(method) \(path).")
    }

    public static func methodNotAllowed(method: String, path: String, allowed: String) -> GatewayError {
        GatewayError(status: 405, type: "invalid_request_error", code: "method_not_allowed",
                     message: "Method \(method) is not allowed on \(path) (allowed: \(allowed)).")
    }

    public static func upstream(status: Int, message: String) -> GatewayError {
        GatewayError(status: status, type: "upstream_error", code: "upstream_error", message: message)
    }

    public static func unavailable(_ message: String) -> GatewayError {
        GatewayError(status: 503, type: "service_unavailable", code: "service_unavailable", message: message)
    }

    /// Every target of the model has an open circuit breaker (docs/routing.md).
    public static func circuitOpen(_ message: String, retryAfter: Int) -> GatewayError {
        var error = GatewayError(status: 503, type: "service_unavailable", code: "circuit_open", message: message)
        error.retryAfter = retryAfter
        return error
    }

    public static func timeout(_ message: String) -> GatewayError {
        GatewayError(status: 504, type: "timeout_error", code: "upstream_timeout", message: message)
    }

    public static func internalError(_ message: String) -> GatewayError {
        GatewayError(status: 500, type: "internal_error", code: "internal_error", message: message)
    }

    /// The OpenAI-shaped body.
    public var body: [UInt8] {
        Self.render(message: message, type: type, param: param, code: code)
    }

    public static func render(message: String, type: String, param: String?, code: String?) -> [UInt8] {
        var json = JSONWriter(capacity: 128 + message.utf8.count)
        json.raw(#"{"error":{"message":"#)
        json.string(message)
        json.raw(#","type":"#)
        json.string(type)
        json.raw(#","param":"#)
        if let param { json.string(param) } else { json.raw("null") }
        json.raw(#","code":"#)
        if let code { json.string(code) } else { json.raw("null") }
        json.raw("}}")
        return json.bytes
    }
}
