import SwitchyardPluginSDK

/// Anthropic error types and statuses → what the client and the router see.
enum UpstreamError {
    /// 529 is Anthropic's "overloaded"; clients and proxies know it as 503.
    static func clientStatus(_ status: Int) -> Int { status == 529 ? 503 : status }

    /// Another attempt (a fallback) may succeed: timeouts, rate limits, server trouble.
    static func retryable(_ status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    /// The error type docs/canonical.md assigns to an upstream status; Anthropic's own type for
    /// the statuses the table leaves open (413 request_too_large, ...).
    static func type(status: Int, upstreamType: String?) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 529: "overloaded_error"
        case 500...599: upstreamType == "overloaded_error" ? "overloaded_error" : "api_error"
        default: upstreamType ?? (status >= 500 ? "api_error" : "invalid_request_error")
        }
    }

    /// The OpenAI-shaped error body; `code` carries Anthropic's own error type.
    static func openAIBody(message: String, type: String, code: String?) -> [UInt8] {
        let body: JSONValue = ["error": ["message": .string(message), "type": .string(type), "param": nil, "code": code.map { .string($0) } ?? nil]]
        return body.serialized()
    }
}

/// A non-2xx Anthropic answer. For translated operations the client gets an OpenAI-shaped error;
/// for the native `messages` operation it gets Anthropic's own error body, which the host passes
/// through to /v1/messages clients unchanged.
final class UpstreamErrorResponse: ResponseTransformer {
    enum Shape { case openAI, anthropic }

    private let status: Int
    private let shape: Shape
    private var body: [UInt8] = []
    private static let keptBytes = 64 * 1024

    init(status: Int, shape: Shape) {
        self.status = status
        self.shape = shape
    }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let room = Self.keptBytes - body.count
        if room > 0 { body.append(contentsOf: chunk.prefix(room)) }
    }

    func end(out: Sink) throws(PluginError) {
        let parsed = try? JSONValue.parse(body)
        let upstreamType = parsed?["error"]?["type"]?.stringValue
        let message: String
        if let text = parsed?["error"]?["message"]?.stringValue {
            message = text
        } else {
            let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
            message = "anthropic returned HTTP \(status)" + (excerpt.isEmpty ? "" : ": " + excerpt)
        }
        let type = UpstreamError.type(status: status, upstreamType: upstreamType)
        switch shape {
        case .openAI:
            out.error(UpstreamError.openAIBody(message: message, type: type, code: upstreamType))
        case .anthropic where parsed?["type"]?.stringValue == "error" && upstreamType != nil:
            out.error(body)
        case .anthropic:
            let synthesized: JSONValue = ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
            out.error(synthesized.serialized())
        }
        throw PluginError(
            SY_E_UPSTREAM, "anthropic: \(message)",
            httpStatus: UInt32(UpstreamError.clientStatus(status)), retryable: UpstreamError.retryable(status)
        )
    }
}
