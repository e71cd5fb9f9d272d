/// Both bodies of one observed call, as an `EnrichmentObservation` reads them: the request as one
/// JSON document (optional: for the fields it names, such as `model`), the response whole, as SSE
/// or as array elements. The observation keeps only its format's reading, in the closures it
/// passes (non-escaping: nothing is allocated per chunk).
///
/// The request document is handed out once, when the request has gone upstream: at the response
/// head, or at the end when no response came. A body not asked for is not read at all.
/// One value per call, confined to the call's event loop like the observation holding it.
public struct ObservedExchange {
    private var request: ObservedBody?
    private var response: ObservedBody?

    /// `request`: the request head when its body is read (nil: it is not); `response`: the reader
    /// of the response body (nil: it is not read).
    public init(request head: ExchangeHead? = nil, response: ObservedBody? = ObservedBody()) {
        if let head {
            var body = ObservedBody.request()
            body.start(head)
            request = body
        }
        self.response = response
    }

    /// Whether the response's facts were all read: it was read, not ignored, no bound passed.
    public var responseIsReadable: Bool { response?.isReadable ?? false }

    /// Body bytes of `phase`; `onResponseDocument` gets each complete response document, borrowed.
    public mutating func feed(
        _ chunk: UnsafeRawBufferPointer, phase: ExchangePhase, _ onResponseDocument: (UnsafeRawBufferPointer) -> Void
    ) {
        switch phase {
        case .request: request?.feed(chunk) { _ in }
        case .response: response?.feed(chunk, onResponseDocument)
        }
    }

    /// The response head arrived: the request is over (`onRequestDocument` gets its document, when
    /// it was read whole) and the response body is framed by this head.
    public mutating func start(response head: ExchangeHead, _ onRequestDocument: (UnsafeRawBufferPointer) -> Void) {
        finishRequest(onRequestDocument)
        response?.start(head)
    }

    /// The call is over: the request document (if not handed out yet), then a whole response
    /// document, are handed out; buffers are given back.
    public mutating func finish(
        request onRequestDocument: (UnsafeRawBufferPointer) -> Void, response onResponseDocument: (UnsafeRawBufferPointer) -> Void
    ) {
        finishRequest(onRequestDocument)
        response?.finish(onResponseDocument)
    }

    private mutating func finishRequest(_ onRequestDocument: (UnsafeRawBufferPointer) -> Void) {
        request?.finish(onRequestDocument)
        request = nil
    }
}
