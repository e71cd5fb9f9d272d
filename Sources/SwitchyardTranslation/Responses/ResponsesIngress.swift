import SwitchyardJSON

/// The OpenAI Responses ingress (`POST /v1/responses`) over a canonical provider. Pure and
/// thread-safe; failures are `TranslationError`s (render with `error.openAIBody`, the shape the
/// Responses API uses for HTTP errors, with `error.status`).
public enum ResponsesIngress {
    /// A Responses request → the canonical body plus what the host must keep.
    /// - Parameter prior: the stored conversation named by `previous_response_id`. The host
    ///   looks it up; a request naming one while `prior` is nil is a 400 ("not found").
    public static func translate(_ body: JSONValue, prior: ResponsesPriorTurn?) throws(TranslationError) -> ResponsesTranslation {
        try ResponsesRequestTranslation.translate(body, prior: prior)
    }

    /// A canonical `chat.completion` → the `response` object (status `completed`, or
    /// `incomplete` on length/content_filter), with the request's echoes.
    /// - Parameter model: the model name to show the client; the completion's own when nil.
    public static func response(fromChatCompletion completion: JSONValue, for request: ResponsesTranslation, model: String? = nil)
        throws(TranslationError) -> JSONValue
    {
        let completion = try CanonicalCompletion(completion)
        let responseID = ResponseRendering.responseID(completion.id)
        let outcome = ResponseOutcome(finishReason: completion.finishReason)
        let items = ResponseRendering.output(completion, responseID: responseID, outcome: outcome)
        return ResponseRendering.response(
            id: responseID, createdAt: completion.created, model: model ?? completion.model, outcome: outcome,
            output: items, usage: completion.usage ?? CanonicalUsage(), echo: request.echo)
    }
}
