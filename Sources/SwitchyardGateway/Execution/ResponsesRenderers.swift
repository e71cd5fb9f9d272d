import SwitchyardCore
import SwitchyardJSON
import SwitchyardTranslation

/// `/v1/responses` answered by a provider that speaks the Responses API natively: output is
/// already the client's format. The final response object is kept in the store so that
/// `GET /v1/responses/{id}` finds it.
final class NativeResponsesRenderer: ClientRenderer {
    private var frame = SSEFrame()
    private let store: ResponseStore?
    private let owner: String?

    /// `store` nil when the client asked not to store (`"store": false`); `owner` the caller's key id.
    init(store: ResponseStore?, owner: String?) {
        self.store = store
        self.owner = owner
    }

    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8] {
        if let store, let response = try? JSONValue.parse(output) { store.keep(response, conversation: nil, owner: owner) }
        return output
    }

    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        guard let type = eventType(output) else {
            return GatewayError.upstream(status: 502, message: "provider sent a stream event without a type")
        }
        if let store, type.elementsEqual("response.completed".utf8), let event = try? JSONValue.parse(output),
           let response = event["response"] {
            store.keep(response, conversation: nil, owner: owner)
        }
        frame.frame(event: type, output)
        frame.withBytes(write)
        return nil
    }

    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? { nil }

    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8] { body }

    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void) {
        body.withUnsafeBytes { frame.frame(event: "error", $0) }
        frame.withBytes(write)
    }
}

/// `/v1/responses` answered through the canonical chat form
/// (docs/translation/ingress-responses.md); the answer is stored with its conversation so a
/// later `previous_response_id` can continue it.
final class TranslatedResponsesRenderer: ClientRenderer {
    private let translation: ResponsesTranslation
    private let store: ResponseStore?
    private let owner: String?
    private var stream: TranslatedStream<ResponsesStreamTranslator>

    init(translation: ResponsesTranslation, store: ResponseStore?, owner: String?) {
        self.translation = translation
        self.owner = owner
        self.store = translation.store ? store : nil
        stream = TranslatedStream(ResponsesStreamTranslator(request: translation))
    }

    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8] {
        let response = try translateCompletion(output) { [translation] (completion) throws(TranslationError) in
            try ResponsesIngress.response(fromChatCompletion: completion, for: translation)
        }
        store?.keep(response, conversation: translation.conversation, owner: owner)
        return response.serialized()
    }

    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        stream.chunk(output, write)
    }

    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        if let failure = stream.end(write) { return failure }
        if let response = stream.translator.response { store?.keep(response, conversation: translation.conversation, owner: owner) }
        return nil
    }

    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8] { body }

    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void) {
        stream.fail(status: status, body: body, write)
    }
}
