import SwitchyardJSON

/// The conversation before this request, for `previous_response_id`: what the host stored
/// when it answered the previous response. The translator prepends it to this request's input.
public struct ResponsesPriorTurn: Sendable {
    /// The previous request's `ResponsesTranslation.conversation` (canonical messages, without
    /// that request's instructions: the API does not carry instructions over).
    public var messages: [JSONValue]
    /// The previous response object's `output` array, as returned to the client.
    public var output: [JSONValue]

    public init(messages: [JSONValue], output: [JSONValue]) {
        self.messages = messages
        self.output = output
    }
}

/// A translated Responses request: the canonical body to send, and what the host keeps.
public struct ResponsesTranslation: Sendable {
    /// The canonical chat completions body (instructions first, then `conversation`).
    public private(set) var chatRequest: JSONValue
    /// Canonical messages of the whole conversation so far without instructions: the prior
    /// turn's, then this request's input. Store it with the response; with the response's
    /// `output` it is the next request's `ResponsesPriorTurn`.
    public let conversation: [JSONValue]
    /// The same translation with the chat body replaced (a guardrail patched it); the rest (the
    /// conversation to store, the echo) stays the client's.
    public func replacingChatRequest(_ request: JSONValue) -> ResponsesTranslation {
        var copy = self
        copy.chatRequest = request
        return copy
    }

    /// Whether the client wants the response stored (`store`, default true).
    public let store: Bool
    public let previousResponseID: String?
    /// The request's `metadata` (kept for the stored response, never sent to the provider).
    public var metadata: JSONValue { echo.metadata }
    let echo: ResponsesEcho
}
