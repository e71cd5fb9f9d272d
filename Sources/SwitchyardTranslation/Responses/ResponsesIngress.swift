import SwitchyardJSON

/// The conversation before this request, for `previous_response_id`: what the host stored
/// when it answered the previous response. The translator prepends it to this request's input.
public struct ResponsesPriorTurn: Sendable {
    /// The previous request's `ResponsesRequest.conversation` (canonical messages, without
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
public struct ResponsesRequest: Sendable {
    /// The canonical chat completions body (instructions first, then `conversation`).
    public let chatRequest: JSONValue
    /// Canonical messages of the whole conversation so far without instructions: the prior
    /// turn's, then this request's input. Store it with the response; with the response's
    /// `output` it is the next request's `ResponsesPriorTurn`.
    public let conversation: [JSONValue]
    /// Whether the client wants the response stored (`store`, default true).
    public let store: Bool
    public let previousResponseID: String?
    /// The request's `metadata` (kept for the stored response, never sent to the provider).
    public var metadata: JSONValue { echo.metadata }
    let echo: ResponsesEcho
}

/// The OpenAI Responses ingress (`POST /v1/responses`) over a canonical provider. Pure and
/// thread-safe; failures are `TranslationError`s (render with `error.openAIBody`, the shape the
/// Responses API uses for HTTP errors, with `error.status`).
public enum ResponsesIngress {
    /// A Responses request → the canonical body plus what the host must keep.
    /// - Parameter prior: the stored conversation named by `previous_response_id`. The host
    ///   looks it up; a request naming one while `prior` is nil is a 400 ("not found").
    public static func translate(_ body: JSONValue, prior: ResponsesPriorTurn?) throws(TranslationError) -> ResponsesRequest {
        try ResponsesRequestTranslation.translate(body, prior: prior)
    }

    /// A canonical `chat.completion` → the `response` object (status `completed`, or
    /// `incomplete` on length/content_filter), with the request's echoes.
    /// - Parameter model: the model name to show the client; the completion's own when nil.
    public static func response(fromChatCompletion completion: JSONValue, for request: ResponsesRequest, model: String? = nil)
        throws(TranslationError) -> JSONValue
    {
        let completion = try CanonicalCompletion(completion)
        let responseID = ResponseRendering.responseID(completion.id)
        var items: [ResponseOutputItem] = []
        func add(_ kind: ResponseOutputItem.Kind) -> Int {
            items.append(ResponseOutputItem(kind: kind, responseID: responseID, outputIndex: items.count))
            return items.count - 1
        }
        if completion.reasoning != nil || completion.reasoningSignature != nil {
            let index = add(.reasoning)
            items[index].reasoning = completion.reasoning ?? ""
            items[index].signature = completion.reasoningSignature
        }
        let text = completion.content.flatMap { $0.isEmpty ? nil : $0 }
        let refusal = completion.refusal.flatMap { $0.isEmpty ? nil : $0 }
        if text != nil || refusal != nil {
            let index = add(.message)
            if let text { items[index].parts.append(ContentPart(kind: .outputText, text: text)) }
            if let refusal { items[index].parts.append(ContentPart(kind: .refusal, text: refusal)) }
        }
        for call in completion.toolCalls {
            let index = add(.functionCall)
            items[index].callID = call.id
            items[index].name = call.name
            items[index].arguments = call.arguments
        }
        let outcome = ResponseOutcome(finishReason: completion.finishReason)
        for index in items.indices { items[index].status = "completed" }
        if !items.isEmpty { items[items.count - 1].status = outcome.lastItemStatus }
        return ResponseRendering.response(
            id: responseID, createdAt: completion.created, model: model ?? completion.model, outcome: outcome,
            output: items, usage: completion.usage ?? CanonicalUsage(), echo: request.echo)
    }
}
