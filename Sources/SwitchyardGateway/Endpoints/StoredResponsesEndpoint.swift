import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// `GET` and `DELETE /v1/responses/{id}`: responses the gateway stored (see `ResponseStore`).
struct StoredResponsesEndpoint {
    let store: ResponseStore
    static let prefix = "/v1/responses/"

    func handle(_ request: HTTPRequest, writer: ResponseWriter) throws(GatewayError) {
        let id = String(request.path.dropFirst(Self.prefix.count))
        guard !id.isEmpty, !id.contains("/") else { throw GatewayError.routeNotFound(method: request.method, path: request.path) }
        switch request.method {
        case "GET", "HEAD":
            guard let entry = store.entry(id) else { throw Self.notFound(id) }
            GatewayResponder.sendJSON(entry.response.serialized(), to: writer)
        case "DELETE":
            guard store.delete(id) else { throw Self.notFound(id) }
            let deleted: JSONValue = ["id": .string(id), "object": "response", "deleted": true]
            GatewayResponder.sendJSON(deleted.serialized(), to: writer)
        default:
            throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET, DELETE")
        }
    }

    private static func notFound(_ id: String) -> GatewayError {
        GatewayError(status: 404, type: "invalid_request_error", code: "not_found", param: nil,
                     message: "No response with id '\(id)' is stored on this gateway.")
    }
}
