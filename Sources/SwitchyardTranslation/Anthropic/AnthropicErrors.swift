import SwitchyardJSON

/// Errors in Anthropic's shape: `{"type":"error","error":{"type","message"}}`.
enum AnthropicErrors {
    /// Anthropic's error types, which a canonical provider may already use (docs/canonical.md
    /// maps upstream statuses to these names).
    static let knownTypes: Set<String> = [
        "invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error",
        "request_too_large", "rate_limit_error", "api_error", "timeout_error", "overloaded_error",
    ]

    /// The Anthropic error type for an HTTP status (Anthropic's own table; other 4xx read as
    /// invalid requests, other 5xx as API errors).
    static func type(forStatus status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 504: "timeout_error"
        case 400..<500: "invalid_request_error"
        default: "api_error"
        }
    }

    /// The error type for an OpenAI-shaped error: its own type when it is an Anthropic one
    /// (e.g. `overloaded_error` passed through a provider), otherwise the status's.
    static func type(status: Int, openAIType: String?) -> String {
        if let openAIType, knownTypes.contains(openAIType) { return openAIType }
        return type(forStatus: status)
    }

    /// The message of `{"error":{"message"}}` (or of a bare error object), with a fallback.
    static func message(_ openAIError: JSONValue?, status: Int) -> String {
        let error = openAIError?["error"] ?? openAIError
        return error?["message"]?.stringValue ?? "upstream returned HTTP \(status)"
    }

    static func body(type: String, message: String) -> JSONValue {
        ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
    }
}
