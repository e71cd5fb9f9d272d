import SwitchyardCore
import SwitchyardJSON
import SwitchyardTranslation

/// `/v1/messages` answered by a provider that speaks it natively: its output is already the
/// Anthropic format; each stream chunk is one event's data, framed under its own `type`.
final class NativeMessagesRenderer: ClientRenderer {
    private var frame = SSEFrame()

    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8] { output }

    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        guard let type = eventType(output) else {
            return GatewayError.upstream(status: 502, message: "provider sent a stream event without a type")
        }
        frame.frame(event: type, output)
        frame.withBytes(write)
        return nil
    }

    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? { nil }

    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8] {
        fromProvider ? body : anthropicErrorBody(status: status, gatewayError: body)
    }

    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void) {
        errorBody(status: status, body: body, fromProvider: fromProvider).withUnsafeBytes { frame.frame(event: "error", $0) }
        frame.withBytes(write)
    }
}

/// `/v1/messages` answered through the canonical chat form (docs/translation/ingress-anthropic.md).
final class TranslatedMessagesRenderer: ClientRenderer {
    private var stream = TranslatedStream(MessagesStreamTranslator())

    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8] {
        try translateCompletion(output) { (completion) throws(TranslationError) in
            try MessagesIngress.message(fromChatCompletion: completion)
        }.serialized()
    }

    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        stream.chunk(output, write)
    }

    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? { stream.end(write) }

    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8] {
        fromProvider ? anthropicErrorBody(status: status, openAIError: body) : anthropicErrorBody(status: status, gatewayError: body)
    }

    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void) {
        stream.fail(status: status, body: body, write)
    }
}

/// An ingress stream translator and the frame its events are written through: canonical chunks
/// in, `event: <name>` + `data:` out, with the translator's contract failures as gateway errors.
struct TranslatedStream<Translator: IngressStreamTranslator> {
    private(set) var translator: Translator
    private var frame = SSEFrame()

    init(_ translator: Translator) { self.translator = translator }

    mutating func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        translator.feed(bytes: output) { event, data in
            frame.frame(event: event, data)
            frame.withBytes(write)
        }
        return translator.failure.map(GatewayError.init(translation:))
    }

    mutating func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        translator.finish { event, data in
            frame.frame(event: event, data)
            frame.withBytes(write)
        }
        return translator.failure.map(GatewayError.init(translation:))
    }

    mutating func fail(status: Int, body: [UInt8], _ write: (UnsafeRawBufferPointer) -> Void) {
        translator.fail(status: status, openAIError: try? JSONValue.parse(body)) { event, data in
            frame.frame(event: event, data)
            frame.withBytes(write)
        }
    }
}

/// A provider's whole canonical answer, rendered in an ingress's format by `render`.
func translateCompletion(_ output: [UInt8], _ render: (JSONValue) throws(TranslationError) -> JSONValue) throws(GatewayError) -> JSONValue {
    let completion: JSONValue
    do { completion = try JSONValue.parse(output) } catch {
        throw GatewayError.upstream(status: 502, message: "provider sent a completion that is not JSON: \(error)")
    }
    do { return try render(completion) } catch { throw GatewayError(translation: error) }
}

/// An OpenAI-shaped error body → Anthropic's `{"type":"error","error":{...}}`.
func anthropicErrorBody(status: Int, openAIError: [UInt8]) -> [UInt8] {
    MessagesIngress.errorBody(status: status, openAIError: try? JSONValue.parse(openAIError)).serialized()
}

/// The gateway's own OpenAI-shaped error → Anthropic's shape, typed by status (the gateway's
/// `invalid_request_error` on a 404 is Anthropic's `not_found_error`).
func anthropicErrorBody(status: Int, gatewayError: [UInt8]) -> [UInt8] {
    let message = (try? JSONValue.parse(gatewayError))?["error"]?["message"]?.stringValue ?? "HTTP \(status)"
    return MessagesIngress.errorBody(status: status, message: message).serialized()
}

/// The `type` member of an event object, as raw bytes without quotes (no unescaping: event
/// types are plain ASCII names).
func eventType(_ event: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
    guard let scan = try? TopLevelScan(event), let range = scan.range(of: "type"), range.count >= 2,
          event[range.lowerBound] == UInt8(ascii: "\"") else { return nil }
    return UnsafeRawBufferPointer(rebasing: event[(range.lowerBound + 1)..<(range.upperBound - 1)])
}

extension GatewayError {
    init(translation error: TranslationError) {
        self.init(status: error.status, type: error.type, code: nil, param: error.param, message: error.message)
    }
}
