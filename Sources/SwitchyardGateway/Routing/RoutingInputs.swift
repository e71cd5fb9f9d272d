import SwitchyardCore
import SwitchyardHTTP

/// What a model group's strategy may read of the request: its headers and body, and the ingress
/// format (where the messages are). Built by the endpoints for every request (two references);
/// read only by groups whose strategy needs it.
struct RoutingInputs {
    let operation: EndpointOperation
    let headers: HTTPHeaders
    let body: [UInt8]

    init(operation: EndpointOperation, request: HTTPRequest) {
        self.operation = operation
        headers = request.headers
        body = request.body
    }

    init(operation: EndpointOperation, headers: HTTPHeaders, body: [UInt8]) {
        self.operation = operation
        self.headers = headers
        self.body = body
    }
}
