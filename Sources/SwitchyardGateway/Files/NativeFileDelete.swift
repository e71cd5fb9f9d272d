import SwitchyardCore
import SwitchyardUpstream

/// Deletes one file at its provider (`DELETE /v1/files/{upstream id}`): what a client's delete
/// does upstream, and the rollback of an upload whose record could not be stored.
///
/// Threading: call on the loop of `context`; `completion` runs once, on that loop, never inside
/// `start`.
enum NativeFileDelete {
    enum Outcome: Equatable {
        case deleted
        /// The provider had no such file (404): it is gone all the same.
        case alreadyGone
    }

    /// A refusal other than 404 is a failure with the provider's status and error. Throws when
    /// the provider's hook cannot address the request. Returns the call to cancel.
    @discardableResult
    static func start(
        provider: NativeProvider, upstreamID: String, call: NativeCall, context: LoopContext, maxAnswerBytes: Int,
        completion: @escaping (Result<Outcome, GatewayError>) -> Void
    ) throws(GatewayError) -> any UpstreamCall {
        let request = try provider.request(
            "DELETE", "/v1/files/\(upstreamID)", headers: [("X-Request-ID", call.requestID)], call: call.description(EndpointOperation.files.abiValue))
        return NativeExchange.send(request, provider: provider.name, on: context.upstream, maxBytes: maxAnswerBytes) { result in
            completion(result.flatMap { answer in
                if answer.succeeded { return .success(.deleted) }
                if answer.status == 404 { return .success(.alreadyGone) }
                return .failure(answer.gatewayError(provider: provider.name))
            })
        }
    }
}
