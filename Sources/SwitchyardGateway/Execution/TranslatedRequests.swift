import SwitchyardCore
import SwitchyardJSON
import SwitchyardTranslation

/// A canonical chat body made by a host-side ingress translator; `model` set per attempt.
struct CanonicalBody {
    let value: JSONValue

    func forUpstreamModel(_ model: String) -> [UInt8] {
        guard var object = value.objectValue else { return value.serialized() }
        object["model"] = .string(model)
        return JSONValue.object(object).serialized()
    }
}

/// `POST /v1/messages`: forwarded as is to providers that speak Messages natively, translated
/// to the canonical chat form for the others (translated once, up front, so a field no
/// translated route can carry is a 400 before any upstream is called).
struct MessagesRequest: IngressRequest {
    let body: ForwardedBody
    let canonical: CanonicalBody?
    let receivedAt: UInt64

    init(body: [UInt8], receivedAt: UInt64, translate: Bool) throws(GatewayError) {
        let head = try RequestHead(jsonBody: body)
        self.body = ForwardedBody(body, head: head)
        self.receivedAt = receivedAt
        canonical = translate ? CanonicalBody(value: try Self.translate(body, MessagesIngress.chatRequest(fromMessages:))) : nil
    }

    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload {
        if attempt.isNative(for: .messages) {
            return AttemptPayload(body: body.forUpstreamModel(attempt.upstreamModel), renderer: NativeMessagesRenderer())
        }
        guard let canonical else { throw GatewayError.internalError("messages request planned without its translation") }
        return AttemptPayload(body: canonical.forUpstreamModel(attempt.upstreamModel), renderer: TranslatedMessagesRenderer())
    }

    func guardrailDocument() throws(GatewayError) -> [UInt8] {
        guard let canonical else { throw GatewayError.internalError("messages request planned without its translation") }
        return canonical.value.serialized()
    }

    func payload(for attempt: Attempt, guarded: [UInt8]) throws(GatewayError) -> AttemptPayload {
        let canonical = CanonicalBody(value: try GatewayError.parseGuarded(guarded))
        return AttemptPayload(body: canonical.forUpstreamModel(attempt.upstreamModel), renderer: TranslatedMessagesRenderer())
    }

    /// Parses and translates a client body; failures keep their status and field path.
    static func translate(_ body: [UInt8], _ translator: (JSONValue) throws(TranslationError) -> JSONValue) throws(GatewayError) -> JSONValue {
        do {
            return try translator(try IngressBody.parse(body))
        } catch {
            throw GatewayError(translation: error)
        }
    }
}

/// `POST /v1/messages/count_tokens`: always the canonical form (`SY_OP_COUNT_TOKENS`); the
/// provider's `{"input_tokens": N}` is already Anthropic's answer.
struct CountTokensRequest: IngressRequest {
    let canonical: CanonicalBody
    let receivedAt: UInt64

    init(body: [UInt8], receivedAt: UInt64) throws(GatewayError) {
        self.receivedAt = receivedAt
        canonical = CanonicalBody(value: try MessagesRequest.translate(body, MessagesIngress.chatRequest(fromCountTokens:)))
    }

    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload {
        AttemptPayload(body: canonical.forUpstreamModel(attempt.upstreamModel), renderer: CountTokensRenderer())
    }
}

/// Token counts are a whole JSON answer; errors take Anthropic's shape like the rest of /v1/messages.
final class CountTokensRenderer: ClientRenderer {
    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8] { output }
    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? { nil }
    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? { nil }
    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8] {
        fromProvider ? anthropicErrorBody(status: status, openAIError: body) : anthropicErrorBody(status: status, gatewayError: body)
    }
    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void) {}
}

/// `POST /v1/responses`: native where the provider speaks the Responses API, else translated;
/// `previous_response_id` is resolved against the gateway's store (asynchronously, by the
/// endpoint, between `Received` and `init`).
struct ResponsesRequest: IngressRequest {
    /// The client's body, read once, before the previous response (if any) is looked up.
    struct Received {
        let body: ForwardedBody
        /// False when the client sent `"store": false`.
        let storing: Bool
        /// The parsed body, for a plan where some attempt translates; nil otherwise.
        let parsed: JSONValue?

        init(body: [UInt8], translate: Bool) throws(GatewayError) {
            let head = try RequestHead(jsonBody: body)
            self.body = ForwardedBody(body, head: head)
            storing = head.scan.range(of: "store").map { body[$0.lowerBound] != UInt8(ascii: "f") } ?? true
            guard translate else {
                parsed = nil
                return
            }
            do { parsed = try IngressBody.parse(body) } catch { throw GatewayError(translation: error) }
        }

        /// The stored response a translated attempt continues from; nil when the body names
        /// none or no attempt translates (a native provider resolves its own ids).
        var previousResponseID: String? { parsed?["previous_response_id"]?.stringValue }

        /// The `previous_response_id` a body names, translated or not: for a virtual key, whose
        /// previous response must be its own even where a native provider resolves the id.
        static func namedPreviousResponseID(_ body: [UInt8]) -> String? {
            body.withUnsafeBytes { bytes in
                guard let scan = try? TopLevelScan(bytes), let range = scan.range(of: "previous_response_id") else { return nil }
                var reader = JSONReader(UnsafeRawBufferPointer(rebasing: bytes[range]))
                return (try? reader.readValue())?.stringValue
            }
        }
    }

    /// The answer for a previous response that is not stored, or is another key's (the same
    /// words as the translator's, so the two cannot be told apart).
    static func previousNotFound(_ id: String) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", code: nil, param: "previous_response_id",
                     message: "previous_response_id: previous response with id \"\(id)\" not found")
    }

    let body: ForwardedBody
    let translation: ResponsesTranslation?
    let store: ResponseStore?
    /// The caller's key id, kept with the stored response (`OwnerFilter`); nil on an open gateway.
    let owner: String?
    let receivedAt: UInt64

    /// `previous`: the stored entry named by `previousResponseID`, nil when none was named or
    /// none is stored, or it is another key's (the translator answers the latter two with a 400
    /// "not found").
    init(_ received: Received, receivedAt: UInt64, store: ResponseStore, owner: String?, previous: ResponseStore.Entry?) throws(GatewayError) {
        body = received.body
        self.owner = owner
        self.receivedAt = receivedAt
        self.store = received.storing ? store : nil
        guard let parsed = received.parsed else {
            translation = nil
            return
        }
        var prior: ResponsesPriorTurn?
        if let previous {
            guard let turn = previous.priorTurn else {
                throw GatewayError.invalidRequest(
                    "Previous response '\(received.previousResponseID ?? "")' was produced natively by its provider and can only be continued there.",
                    code: "invalid_value", param: "previous_response_id")
            }
            prior = turn
        }
        do {
            translation = try ResponsesIngress.translate(parsed, prior: prior)
        } catch {
            throw GatewayError(translation: error)
        }
    }

    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload {
        if attempt.isNative(for: .responses) {
            return AttemptPayload(body: body.forUpstreamModel(attempt.upstreamModel), renderer: NativeResponsesRenderer(store: store, owner: owner))
        }
        guard let translation else { throw GatewayError.internalError("responses request planned without its translation") }
        let canonical = CanonicalBody(value: translation.chatRequest)
        return AttemptPayload(body: canonical.forUpstreamModel(attempt.upstreamModel),
                              renderer: TranslatedResponsesRenderer(translation: translation, store: store, owner: owner))
    }

    func guardrailDocument() throws(GatewayError) -> [UInt8] {
        guard let translation else { throw GatewayError.internalError("responses request planned without its translation") }
        return translation.chatRequest.serialized()
    }

    func payload(for attempt: Attempt, guarded: [UInt8]) throws(GatewayError) -> AttemptPayload {
        guard let translation else { throw GatewayError.internalError("responses request planned without its translation") }
        let patched = translation.replacingChatRequest(try GatewayError.parseGuarded(guarded))
        return AttemptPayload(body: CanonicalBody(value: patched.chatRequest).forUpstreamModel(attempt.upstreamModel),
                              renderer: TranslatedResponsesRenderer(translation: patched, store: store, owner: owner))
    }
}

