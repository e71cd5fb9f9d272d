import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP

/// The `admin.listen` listener: `/admin/*` only (anything else is 404 there). One loop, few
/// connections, small bodies: it serves an operator, not traffic.
final class AdminResponder: HTTPResponder {
    let admin: AdminEndpoint

    init(admin: AdminEndpoint) { self.admin = admin }

    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        do throws(GatewayError) {
            guard request.path.hasPrefix(AdminEndpoint.prefix) else {
                throw GatewayError.routeNotFound(method: request.method, path: request.path)
            }
            try admin.handle(request, on: .admin, writer: writer)
        } catch {
            GatewayResponder.send(error, to: writer)
        }
    }

    /// The main listener's limits and error rendering, on `listen`, one loop.
    static func configuration(_ listen: AdminListen, base: HTTPServerConfiguration) -> HTTPServerConfiguration {
        var http = base
        http.host = listen.host
        http.port = listen.port
        http.loops = 1
        http.maxConnections = 64
        http.maxBodyBytes = 64 << 10
        http.maxBodyMemory = max(http.maxBodyBytes, 1 << 20)
        return http
    }
}
