/// One parsed request, with its whole body, or with its body still arriving as a stream when the
/// responder asked for that (`HTTPResponder.streamsBody`). Immutable.
public struct HTTPRequest: Sendable {
    public let method: String
    /// The raw request-target, e.g. "/v1/chat/completions?x=1".
    public let target: String
    /// The target without its query.
    public let path: String
    public let query: String?
    public let version: String
    public let headers: HTTPHeaders
    /// The whole body; empty when it streams.
    public let body: [UInt8]
    /// The body as it arrives, for a request the responder streams (its head announced a body:
    /// Content-Length over 0, or chunked); nil otherwise.
    public let bodyStream: RequestBodyStream?
    /// The client's X-Request-ID when it is acceptable, else one generated here.
    public let requestID: String
    /// monotonicNanoseconds() when the request head was complete.
    public let receivedAt: UInt64

    public init(
        method: String, target: String, version: String, headers: HTTPHeaders, body: [UInt8], bodyStream: RequestBodyStream? = nil, requestID: String,
        receivedAt: UInt64
    ) {
        self.method = method
        self.target = target
        if let question = target.firstIndex(of: "?") {
            path = String(target[..<question])
            query = String(target[target.index(after: question)...])
        } else {
            path = target
            query = nil
        }
        self.version = version
        self.headers = headers
        self.body = body
        self.bodyStream = bodyStream
        self.requestID = requestID
        self.receivedAt = receivedAt
    }
}
