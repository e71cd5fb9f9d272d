import SwitchyardCore

/// Turns one attempt's provider output into what the client reads, in the format the client
/// spoke: OpenAI chat (as the provider wrote it), native Anthropic / Responses events, or a
/// host-side translation from the canonical form. One per attempt, since a failover may move
/// from a native route to a translated one. Loop-confined.
///
/// `write` hands out bytes borrowed for the call (the executor writes them to the client).
protocol ClientRenderer: AnyObject {
    /// The body of a whole answer, from the provider's one SY_OUT_JSON object.
    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8]
    /// One SY_OUT_JSON stream chunk as server-sent events; a failure stops the stream.
    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError?
    /// The provider ended its stream normally.
    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError?
    /// An error answer before anything was sent. `body` is OpenAI-shaped when `fromProvider` is
    /// false (the gateway's own), else whatever the provider wrote for this route.
    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8]
    /// An error once the stream has started (headers are gone: it travels as an event).
    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void)
}

/// OpenAI chat completions, embeddings and token counts: the provider's canonical output is
/// already the client's format. Streams are `data:` events ending with `[DONE]`.
final class CanonicalRenderer: ClientRenderer {
    private var frame = SSEFrame()

    func whole(_ output: [UInt8]) throws(GatewayError) -> [UInt8] { output }

    func chunk(_ output: UnsafeRawBufferPointer, _ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        frame.frame(output)
        frame.withBytes(write)
        return nil
    }

    func end(_ write: (UnsafeRawBufferPointer) -> Void) -> GatewayError? {
        SSEFrame.done.withUnsafeBytes(write)
        return nil
    }

    func errorBody(status: Int, body: [UInt8], fromProvider: Bool) -> [UInt8] { body }

    func streamError(status: Int, body: [UInt8], fromProvider: Bool, _ write: (UnsafeRawBufferPointer) -> Void) {
        body.withUnsafeBytes { frame.frame($0) }
        frame.withBytes(write)
    }
}

/// The renderer of an error answered before any attempt has its payload (e.g. a guardrail's
/// rejection in the request phase): the route's error shape.
func errorRenderer(for operation: EndpointOperation) -> ClientRenderer {
    operation == .messages ? TranslatedMessagesRenderer() : CanonicalRenderer()
}
