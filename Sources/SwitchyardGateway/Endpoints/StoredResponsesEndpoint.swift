import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardStore

/// `GET` and `DELETE /v1/responses/{id}`: responses the gateway stored (see `ResponseStore`).
/// A virtual key reaches only the responses it created (`OwnerFilter`); another key's id is
/// answered like an unknown one.
///
/// Threading: `handle` runs on the connection's loop and returns before the answer is known;
/// the store answers on the same loop (`writer.loop`), where the writer is used again.
struct StoredResponsesEndpoint {
    let store: ResponseStore
    static let prefix = "/v1/responses/"

    func handle(_ request: HTTPRequest, writer: ResponseWriter, caller: Caller? = nil) throws(GatewayError) {
        let id = String(request.path.dropFirst(Self.prefix.count))
        guard !id.isEmpty, !id.contains("/") else { throw GatewayError.routeNotFound(method: request.method, path: request.path) }
        let confined = UncheckedSendable(writer)
        let owners = OwnerFilter(caller)
        switch request.method {
        case "GET", "HEAD":
            store.entry(id, on: writer.loop) { result in
                switch result {
                case .success(let entry?) where owners.admits(entry.owner): GatewayResponder.sendJSON(entry.response.serialized(), to: confined.value)
                case .success: GatewayResponder.send(Self.notFound(id), to: confined.value)
                case .failure(let error): GatewayResponder.send(Self.unavailable(error), to: confined.value)
                }
            }
        case "DELETE":
            store.delete(id, owners: owners, on: writer.loop) { result in
                switch result {
                case .success(true):
                    let deleted: JSONValue = ["id": .string(id), "object": "response", "deleted": true]
                    GatewayResponder.sendJSON(deleted.serialized(), to: confined.value)
                case .success(false): GatewayResponder.send(Self.notFound(id), to: confined.value)
                case .failure(let error): GatewayResponder.send(Self.unavailable(error), to: confined.value)
                }
            }
        default:
            throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET, DELETE")
        }
    }

    private static func notFound(_ id: String) -> GatewayError {
        GatewayError(status: 404, type: "invalid_request_error", code: "not_found", param: nil,
                     message: "No response with id '\(id)' is stored on this gateway.")
    }

    /// The store could not answer (its queue is full, the disk failed): a 503 the client may
    /// retry; the details go to the log line of the store, not to the client.
    static func unavailable(_ error: StoreError) -> GatewayError {
        GatewayError.unavailable("The gateway's response store cannot answer right now (\(error.kind.rawValue)); retry later.")
    }
}
