import SwitchyardCore
import SwitchyardHTTP

/// What a model group's strategy may read of the request: its headers and body, and the ingress
/// format (where the messages are). Built by the endpoints for every request (two references);
/// read only by groups whose strategy needs it.
struct RoutingInputs {
    let operation: EndpointOperation
    let headers: HTTPHeaders
    let body: [UInt8]
    /// Seeds the strategy's random picks (weighted, exploration, A/B): drawn from the loop's
    /// generator, so a group request makes no getrandom syscall.
    let seed: UInt64

    init(operation: EndpointOperation, request: HTTPRequest, random: inout LoopRandom) {
        self.operation = operation
        headers = request.headers
        body = request.body
        seed = random.next()
    }

    /// For callers without a loop (tests): a fresh seed from the system generator each time.
    init(operation: EndpointOperation, headers: HTTPHeaders, body: [UInt8], seed: UInt64 = .random(in: .min ... .max)) {
        self.operation = operation
        self.headers = headers
        self.body = body
        self.seed = seed
    }
}
