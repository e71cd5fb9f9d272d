import SwitchyardPluginSDK

/// Gemini's errors in OpenAI's shape. Gemini answers `{"error":{"code":429,"message":"…",
/// "status":"RESOURCE_EXHAUSTED"}}` (some endpoints wrap it in a one-element array); the client
/// gets `{"error":{"message","type","param":null,"code":<status>}}` with Gemini's message kept.
enum UpstreamError {
    /// OpenAI error type for an HTTP status (docs/canonical.md).
    static func type(for status: Int) -> String {
        switch status {
        case 400: "invalid_request_error"
        case 401: "authentication_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 429: "rate_limit_error"
        case 503: "overloaded_error"
        case 500...599: "api_error"
        default: status >= 400 && status < 500 ? "invalid_request_error" : "api_error"
        }
    }

    /// Whether another attempt (another provider, later) may succeed: timeouts, rate limits
    /// (RESOURCE_EXHAUSTED) and server trouble (UNAVAILABLE, INTERNAL), never a bad request.
    static func retryable(_ status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    /// Writes the OpenAI-shaped error and returns the failure to throw.
    static func fail(status: Int, message: String, code: String?, retryable: Bool? = nil, out: Sink) -> PluginError {
        let body: JSONValue = [
            "error": ["message": .string(message), "type": .string(type(for: status)), "param": nil, "code": code.map { .string($0) } ?? .null],
        ]
        out.error(body.serialized())
        return PluginError(SY_E_UPSTREAM, message, httpStatus: UInt32(clamping: status), retryable: retryable ?? Self.retryable(status))
    }

    /// The `error` object of a Gemini error body, unwrapping the array form.
    static func geminiError(_ body: JSONValue?) -> JSONValue? {
        let error = body?["error"] ?? body?[0]?["error"]
        return error?.objectValue == nil ? nil : error
    }
}

/// A non-2xx answer from Gemini, buffered (first 64 KiB) and turned into an OpenAI error.
final class UpstreamErrorResponse: ResponseTransformer {
    private let status: Int
    private var body: [UInt8] = []
    private static let keptBytes = 64 * 1024

    init(status: Int) { self.status = status }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let room = Self.keptBytes - body.count
        if room > 0 { body.append(contentsOf: chunk.prefix(room)) }
    }

    func end(out: Sink) throws(PluginError) {
        if let error = UpstreamError.geminiError(try? JSONValue.parse(body)) {
            let message = error["message"]?.stringValue ?? "gemini returned HTTP \(status)"
            if let seconds = Self.retryDelaySeconds(error) {
                out.meta(JSONValue(dictionaryLiteral: ("retry_after_seconds", .number(seconds))).serialized())
            }
            throw UpstreamError.fail(status: status, message: message, code: error["status"]?.stringValue, out: out)
        }
        let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
        let message = "gemini returned HTTP \(status)" + (excerpt.isEmpty ? "" : ": " + excerpt)
        throw UpstreamError.fail(status: status, message: message, code: nil, out: out)
    }

    /// Gemini says when to retry in the body (`google.rpc.RetryInfo` `retryDelay: "1.5s"`), not
    /// in a Retry-After header: whole seconds, rounded up, for the host to send as Retry-After.
    static func retryDelaySeconds(_ error: JSONValue) -> Int? {
        for detail in error["details"]?.arrayValue ?? [] {
            guard detail["@type"]?.stringValue?.hasSuffix("google.rpc.RetryInfo") == true,
                  var delay = detail["retryDelay"]?.stringValue, delay.hasSuffix("s") else { continue }
            delay.removeLast()
            guard let seconds = Double(delay), seconds >= 0, seconds < 86_400 else { continue }
            return Int(seconds.rounded(.up))
        }
        return nil
    }
}

/// Gemini refused the prompt itself (`promptFeedback.blockReason`): the request, not the
/// upstream, is at fault, so the client sees a 400 that names the reason.
enum PromptBlock {
    static func check(_ response: JSONValue, out: Sink) throws(PluginError) {
        guard let reason = response["promptFeedback"]?["blockReason"]?.stringValue,
              response["candidates"]?.arrayValue?.isEmpty ?? true
        else { return }
        let detail = response["promptFeedback"]?["blockReasonMessage"]?.stringValue.map { ": " + $0 } ?? ""
        throw UpstreamError.fail(status: 400, message: "gemini blocked the prompt (blockReason \(reason))\(detail)", code: "content_filter", out: out)
    }
}
