import SwitchyardPluginSDK

/// Anthropic's errors for the client and the router. The type and retry table and the body's
/// bound are the SDK's (`UpstreamErrorPolicy`); Anthropic's own are 529 and its error types.
enum UpstreamError {
    /// 529 is Anthropic's "overloaded"; clients and proxies know it as 503.
    static func clientStatus(_ status: Int) -> Int { status == 529 ? 503 : status }

    /// The SDK's type for the status; Anthropic's own for 529 and an overloaded 5xx, and its
    /// type for the statuses the table leaves open (413 request_too_large, ...).
    static func type(status: Int, upstreamType: String?) -> String {
        switch status {
        case 529: "overloaded_error"
        case 500...599 where upstreamType == "overloaded_error": "overloaded_error"
        case 400, 401, 403, 404, 429, 500...599: UpstreamErrorPolicy.errorType(forStatus: status)
        default: upstreamType ?? UpstreamErrorPolicy.errorType(forStatus: status)
        }
    }

    /// The OpenAI-shaped error body; `code` carries Anthropic's own error type.
    static func openAIBody(message: String, type: String, code: String?) -> [UInt8] {
        UpstreamErrorPolicy.openAIErrorBody(message: message, type: type, code: code)
    }
}

/// A non-2xx Anthropic answer. For translated operations the client gets an OpenAI-shaped error;
/// for the native `messages` operation it gets Anthropic's own error body, which the host passes
/// through to /v1/messages clients unchanged.
final class UpstreamErrorResponse: ResponseTransformer {
    enum Shape { case openAI, anthropic }

    private let status: Int
    private let shape: Shape
    private var body = UpstreamErrorBody()

    init(status: Int, shape: Shape) {
        self.status = status
        self.shape = shape
    }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) { body.append(chunk) }

    func end(out: Sink) throws(PluginError) {
        let parsed = body.json
        let upstreamType = parsed?["error"]?["type"]?.stringValue
        let message: String
        if let text = parsed?["error"]?["message"]?.stringValue {
            message = text
        } else {
            message = UpstreamErrorPolicy.message(status: status, body: body.bytes, source: "anthropic")
        }
        let type = UpstreamError.type(status: status, upstreamType: upstreamType)
        switch shape {
        case .openAI:
            out.error(UpstreamError.openAIBody(message: message, type: type, code: upstreamType))
        case .anthropic where parsed?["type"]?.stringValue == "error" && upstreamType != nil:
            out.error(body.bytes)
        case .anthropic:
            let synthesized: JSONValue = ["type": "error", "error": ["type": .string(type), "message": .string(message)]]
            out.error(synthesized.serialized())
        }
        throw UpstreamErrorPolicy.failure("anthropic: \(message)", status: UpstreamError.clientStatus(status), retryableStatus: status)
    }
}
