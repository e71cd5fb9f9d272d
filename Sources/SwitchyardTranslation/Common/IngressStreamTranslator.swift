import SwitchyardJSON

/// What both ingress stream translators offer the host: canonical chunks in, the ingress's
/// events out, with the stream's end and its failure. Lets the host frame either the same way.
public protocol IngressStreamTranslator {
    /// Set once the provider broke the stream contract; later input is ignored.
    var failure: TranslationError? { get }
    mutating func feed(bytes: UnsafeRawBufferPointer, _ emit: StreamEventSink)
    mutating func finish(_ emit: StreamEventSink)
    mutating func fail(status: Int, openAIError: JSONValue?, _ emit: StreamEventSink)
}

extension MessagesStreamTranslator: IngressStreamTranslator {}
extension ResponsesStreamTranslator: IngressStreamTranslator {}
