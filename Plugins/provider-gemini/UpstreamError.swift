import SwitchyardPluginSDK

/// Gemini's errors in OpenAI's shape. Gemini answers `{"error":{"code":429,"message":"…",
/// "status":"RESOURCE_EXHAUSTED"}}` (some endpoints wrap it in a one-element array); the client
/// gets `{"error":{"message","type","param":null,"code":<status>}}` with Gemini's message kept.
/// The type and retry table and the body's bound are the SDK's (`UpstreamErrorPolicy`).
enum UpstreamError {
    /// Writes the OpenAI-shaped error and returns the failure to throw.
    static func fail(status: Int, message: String, code: String?, retryable: Bool? = nil, out: Sink) -> PluginError {
        out.error(UpstreamErrorPolicy.openAIErrorBody(message: message, type: UpstreamErrorPolicy.errorType(forStatus: status), code: code))
        return PluginError(SY_E_UPSTREAM, message, httpStatus: UInt32(clamping: status), retryable: retryable ?? UpstreamErrorPolicy.isRetryable(status: status))
    }

    /// The `error` object of a Gemini error body, unwrapping the array form.
    static func geminiError(_ body: JSONValue?) -> JSONValue? {
        let error = body?["error"] ?? body?[0]?["error"]
        return error?.objectValue == nil ? nil : error
    }
}

/// A non-2xx answer from Gemini, buffered (the SDK's bound) and turned into an OpenAI error.
final class UpstreamErrorResponse: ResponseTransformer {
    private let status: Int
    private var body = UpstreamErrorBody()

    init(status: Int) { self.status = status }

    func data(_ chunk: UnsafeRawBufferPointer, out: Sink) throws(PluginError) { body.append(chunk) }

    func end(out: Sink) throws(PluginError) {
        if let error = UpstreamError.geminiError(body.json) {
            let message = error["message"]?.stringValue ?? "gemini returned HTTP \(status)"
            if let seconds = Self.retryDelaySeconds(error) {
                out.meta(JSONValue(dictionaryLiteral: ("retry_after_seconds", .number(seconds))).serialized())
            }
            throw UpstreamError.fail(status: status, message: message, code: error["status"]?.stringValue, out: out)
        }
        throw UpstreamError.fail(status: status, message: UpstreamErrorPolicy.message(status: status, body: body.bytes, source: "gemini"), code: nil, out: out)
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
