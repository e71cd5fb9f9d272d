import SwitchyardCore

/// A client request as the executor needs it: when it arrived, and for each attempt the body to
/// send the provider and the renderer of its answer (an attempt may be native or translated).
protocol IngressRequest {
    var receivedAt: UInt64 { get }
    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload
}

struct AttemptPayload {
    /// The request for the provider, `model` already the upstream's.
    let body: [UInt8]
    let renderer: ClientRenderer
}

/// A client body forwarded as it is, with only `model` rewritten per attempt.
struct ForwardedBody {
    let bytes: [UInt8]
    let head: RequestHead

    init(_ bytes: [UInt8], head: RequestHead) {
        self.bytes = bytes
        self.head = head
    }

    func forUpstreamModel(_ model: String) -> [UInt8] {
        bodyWithModel(bytes, range: head.modelRange, requested: head.model, upstream: model) ?? bytes
    }
}
