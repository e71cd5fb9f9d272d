import SwitchyardCore

/// A validated chat completions request: the client's body, forwarded untouched but for `model`.
struct ChatRequest: IngressRequest {
    let body: ForwardedBody
    let receivedAt: UInt64
    var head: RequestHead { body.head }

    init(body: [UInt8], receivedAt: UInt64) throws(GatewayError) {
        let head = try RequestHead(chatCompletionBody: body)
        self.body = ForwardedBody(body, head: head)
        self.receivedAt = receivedAt
    }

    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload {
        AttemptPayload(body: body.forUpstreamModel(attempt.upstreamModel), renderer: CanonicalRenderer())
    }

    func guardrailDocument() -> [UInt8] { body.bytes }

    func payload(for attempt: Attempt, guarded: [UInt8]) throws(GatewayError) -> AttemptPayload {
        let head: RequestHead
        do { head = try RequestHead(chatCompletionBody: guarded) } catch { throw .invalidGuardedRequest(error.message) }
        guard head.stream == self.head.stream else { throw .invalidGuardedRequest("a guardrail changed `stream`") }
        return AttemptPayload(body: ForwardedBody(guarded, head: head).forUpstreamModel(attempt.upstreamModel), renderer: CanonicalRenderer())
    }
}

/// `/v1/embeddings`: forwarded to providers that declare embeddings, `model` rewritten.
struct EmbeddingsRequest: IngressRequest {
    let body: ForwardedBody
    let receivedAt: UInt64

    init(body: [UInt8], receivedAt: UInt64) throws(GatewayError) {
        let head = try RequestHead(jsonBody: body)
        guard head.scan.range(of: "input") != nil else {
            throw GatewayError.invalidRequest("Missing required parameter: 'input'.", code: "missing_required_parameter", param: "input")
        }
        guard !head.stream else {
            throw GatewayError.invalidRequest("Embeddings cannot be streamed.", code: "unsupported_parameter", param: "stream")
        }
        self.body = ForwardedBody(body, head: head)
        self.receivedAt = receivedAt
    }

    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload {
        AttemptPayload(body: body.forUpstreamModel(attempt.upstreamModel), renderer: CanonicalRenderer())
    }

    func guardrailDocument() -> [UInt8] { body.bytes }

    func payload(for attempt: Attempt, guarded: [UInt8]) throws(GatewayError) -> AttemptPayload {
        let head: RequestHead
        do { head = try RequestHead(jsonBody: guarded) } catch { throw .invalidGuardedRequest(error.message) }
        return AttemptPayload(body: ForwardedBody(guarded, head: head).forUpstreamModel(attempt.upstreamModel), renderer: CanonicalRenderer())
    }
}
