import SwitchyardCore
import SwitchyardJSON

/// A client request as the executor needs it: when it arrived, and for each attempt the body to
/// send the provider and the renderer of its answer (an attempt may be native or translated).
protocol IngressRequest {
    var receivedAt: UInt64 { get }
    func payload(for attempt: Attempt) throws(GatewayError) -> AttemptPayload

    /// Guardrails: the canonical request they inspect (`model` as the client named it).
    func guardrailDocument() throws(GatewayError) -> [UInt8]
    /// The attempt's payload built from the canonical request as the guardrails left it.
    func payload(for attempt: Attempt, guarded: [UInt8]) throws(GatewayError) -> AttemptPayload
}

extension IngressRequest {
    func guardrailDocument() throws(GatewayError) -> [UInt8] {
        throw GatewayError.internalError("guardrails are not run on this endpoint")
    }

    func payload(for attempt: Attempt, guarded: [UInt8]) throws(GatewayError) -> AttemptPayload {
        throw GatewayError.internalError("guardrails are not run on this endpoint")
    }
}

extension GatewayError {
    /// The request as its guardrails patched it is no longer one the gateway can send.
    static func invalidGuardedRequest(_ why: String) -> GatewayError {
        GatewayError(status: 500, type: "guardrail_error", code: "guardrail_invalid_patch",
                     message: "The request as patched by its guardrails is not valid: \(why)")
    }

    /// A guardrail's patch of a parsed (translated) request, parsed again.
    static func parseGuarded(_ bytes: [UInt8]) throws(GatewayError) -> JSONValue {
        do {
            let value = try JSONValue.parse(bytes)
            guard value.objectValue != nil else { throw invalidGuardedRequest("not a JSON object") }
            return value
        } catch let error as GatewayError {
            throw error
        } catch {
            throw invalidGuardedRequest("\(error)")
        }
    }
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
