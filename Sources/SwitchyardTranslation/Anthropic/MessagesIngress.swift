import SwitchyardJSON

/// The Anthropic Messages ingress (`POST /v1/messages`, `/v1/messages/count_tokens`) over a
/// canonical provider: pure functions from the client's body to the canonical body and from
/// the canonical answer back. Streams go through `MessagesStreamTranslator`.
///
/// Every function is pure and thread-safe; failures are `TranslationError`s carrying the
/// status to answer with (render with `errorBody(_:)`).
public enum MessagesIngress {
    /// A Messages request → the canonical chat completions body. `stream: true` also asks for
    /// the usage chunk (`stream_options.include_usage`), which the stream translator needs.
    public static func chatRequest(fromMessages body: JSONValue) throws(TranslationError) -> JSONValue {
        try MessagesRequestTranslation.chatBody(body, countingTokens: false)
    }

    /// A count_tokens request → the canonical body for `SY_OP_COUNT_TOKENS` (same translation,
    /// no `max_tokens`, sampling or stream fields). The provider's `{"input_tokens": N}` is
    /// already the Anthropic count_tokens response and needs no translation.
    public static func chatRequest(fromCountTokens body: JSONValue) throws(TranslationError) -> JSONValue {
        try MessagesRequestTranslation.chatBody(body, countingTokens: true)
    }

    /// A canonical `chat.completion` → the Anthropic `message` object.
    /// - Parameter model: the model name to show the client; the completion's own when nil.
    public static func message(fromChatCompletion completion: JSONValue, model: String? = nil) throws(TranslationError) -> JSONValue {
        try MessageRendering.message(CanonicalCompletion(completion), model: model)
    }

    /// A provider's OpenAI-shaped error body (`{"error":{...}}`, or nil when it sent none) and
    /// the HTTP status → the Anthropic error body to send with that same status.
    public static func errorBody(status: Int, openAIError: JSONValue?) -> JSONValue {
        let error = openAIError?["error"] ?? openAIError
        return AnthropicErrors.body(
            type: AnthropicErrors.type(status: status, openAIType: error?["type"]?.stringValue),
            message: AnthropicErrors.message(openAIError, status: status))
    }

    /// The gateway's own failure (unknown model, bad JSON...) → the Anthropic error body, its
    /// type chosen by the status alone.
    public static func errorBody(status: Int, message: String) -> JSONValue {
        AnthropicErrors.body(type: AnthropicErrors.type(forStatus: status), message: message)
    }

    /// A translation failure → the Anthropic error body (send with `error.status`).
    public static func errorBody(_ error: TranslationError) -> JSONValue {
        AnthropicErrors.body(type: AnthropicErrors.type(forStatus: error.status), message: error.message)
    }
}
