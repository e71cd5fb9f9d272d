import SwitchyardCore
import SwitchyardHTTP
import SwitchyardPosix
import SwitchyardUpstream

/// Routes each request to its endpoint. Called by the HTTP server on the connection's loop.
final class GatewayResponder: HTTPResponder, @unchecked Sendable {
    let services: GatewayServices
    let chatCompletions: ChatCompletionsEndpoint
    let models: ModelsEndpoint
    /// One upstream client per event loop, keyed by the loop's identity; filled before the
    /// server starts and read-only afterwards.
    private var upstreams: [ObjectIdentifier: UpstreamClient] = [:]

    init(services: GatewayServices, models: ModelsEndpoint) {
        self.services = services
        self.chatCompletions = ChatCompletionsEndpoint(services: services)
        self.models = models
    }

    func attach(loops: [EventLoop]) {
        for loop in loops { upstreams[ObjectIdentifier(loop)] = UpstreamClient(loop: loop) }
    }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        do {
            try route(request, writer: writer)
        } catch {
            Self.send(error, to: writer)
        }
    }

    private func route(_ request: HTTPRequest, writer: ResponseWriter) throws(GatewayError) {
        switch request.path {
        case "/v1/chat/completions", "/chat/completions":
            try require("POST", request)
            guard let upstream = upstreams[ObjectIdentifier(writer.loop)] else {
                throw GatewayError.internalError("no upstream client on this event loop")
            }
            try chatCompletions.handle(request, writer: writer, upstream: upstream)
        case "/v1/models", "/models":
            try require("GET", request)
            Self.sendJSON(models.body, to: writer)
        case "/health", "/healthz":
            try require("GET", request)
            Self.sendJSON(Array(#"{"status":"ok"}"#.utf8), to: writer)
        default:
            throw GatewayError.routeNotFound(method: request.method, path: request.path)
        }
    }

    private func require(_ method: String, _ request: HTTPRequest) throws(GatewayError) {
        if request.method == method || (method == "GET" && request.method == "HEAD") { return }
        throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: method)
    }

    static func sendJSON(_ body: [UInt8], to writer: ResponseWriter) {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        writer.send(status: 200, headers: headers, body: body)
    }

    static func send(_ error: GatewayError, to writer: ResponseWriter) {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        if error.status == 405, let allowed = error.message.split(separator: "(").last?.dropFirst("allowed: ".count).dropLast(2) {
            headers.add("Allow", String(allowed))
        }
        writer.send(status: error.status, headers: headers, body: error.body)
    }
}
