import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix
import Synchronization

/// `/admin/*` (decision 0023): `GET /admin/status` (generation, live plugin instances, reload
/// counts) and `POST /admin/reload` (docs/operations.md). On the main listener it exists only
/// while `admin.key` is set, and every call carries the key; on the `admin.listen` listener the
/// key is asked for when one is set.
///
/// Threading: `handle` runs on a listener's loop; a reload runs on a thread of its own and
/// answers back on the request's loop. The key follows reloads (`setKey`, thread-safe).
final class AdminEndpoint: @unchecked Sendable {  // `gateway` is set once before the servers start
    static let prefix = "/admin/"

    enum Listener { case main, admin }

    private let key: Mutex<AdminKey?>
    /// Set by `Gateway.init` once built (the endpoint is built before the gateway is whole).
    weak var gateway: Gateway?

    init(key: String?) { self.key = Mutex(key.map(AdminKey.init)) }

    func setKey(_ text: String?) { key.withLock { $0 = text.map(AdminKey.init) } }

    func handle(_ request: HTTPRequest, on listener: Listener = .main, writer: ResponseWriter) throws(GatewayError) {
        let key = self.key.withLock { $0 }
        switch (listener, key) {
        case (.main, nil): throw GatewayError.routeNotFound(method: request.method, path: request.path)
        case (_, let key?):
            guard key.admits(request.headers["Authorization"]) else { throw Self.unauthorized(request.headers["Authorization"] != nil) }
        case (.admin, nil): break
        }
        guard let gateway else { throw GatewayError.unavailable("the gateway is not ready") }
        switch request.path {
        case "/admin/status":
            guard request.method == "GET" || request.method == "HEAD" else {
                throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET")
            }
            GatewayResponder.sendJSON(Self.status(of: gateway).serialized(), to: writer)
        case "/admin/reload":
            guard request.method == "POST" else {
                throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "POST")
            }
            let confined = UncheckedSendable(writer)
            let loop = writer.loop
            startDetachedThread {
                let outcome = gateway.reload(trigger: "POST /admin/reload", waiting: false)
                loop.execute { Self.answer(outcome, to: confined.value) }
            }
        case let path where AdminKeysEndpoint.handles(path):
            try AdminKeysEndpoint(registry: gateway.process.keys, governance: gateway.generation.services.governance)
                .handle(request, writer: writer)
        case "/admin/budgets":
            guard request.method == "GET" || request.method == "HEAD" else {
                throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET")
            }
            try Self.budgets(request, gateway: gateway, writer: writer)
        case UsageAdmin.reportPath, UsageAdmin.recordsPath, AuditAdmin.path:
            guard request.method == "GET" || request.method == "HEAD" else {
                throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET")
            }
            let config = gateway.config
            if request.path == AuditAdmin.path {
                try AuditAdmin.handle(request, store: gateway.store, writer: writer)
            } else {
                try UsageAdmin.handle(request, store: gateway.store, currency: config.pricing.currency, writer: writer)
            }
        default:
            throw GatewayError.routeNotFound(method: request.method, path: request.path)
        }
    }

    /// `GET /admin/budgets?scope=user:alice`: that scope's budgets now (docs/governance.md).
    private static func budgets(_ request: HTTPRequest, gateway: Gateway, writer: ResponseWriter) throws(GatewayError) {
        // Decoded: clients (httpx, requests, curl --data-urlencode) send `user%3Aalice`.
        let scope = QueryParameters.pairs(request.query).first { $0.name == "scope" }?.value
        guard let scope, !scope.isEmpty else {
            throw GatewayError.invalidRequest("Name a scope: /admin/budgets?scope=user:alice (key:ID, user:NAME or team:NAME).", param: "scope")
        }
        guard let governance = gateway.generation.services.governance else {
            return GatewayResponder.sendJSON(JSONValue.object(JSONObject([("scope", .string(scope)), ("budgets", .array([]))])).serialized(), to: writer)
        }
        // A key's own budget (set through /admin/keys) wins over budgets.keys, as on requests.
        let keyBudget = scope.hasPrefix("key:") ? gateway.process.keys.key(id: String(scope.dropFirst(4)))?.budget : nil
        let confined = UncheckedSendable(writer)
        let known = governance.spendJSON(scope: scope, keyBudget: keyBudget, on: writer.loop) { json in GatewayResponder.sendJSON(json.serialized(), to: confined.value) }
        guard known else {
            throw GatewayError.invalidRequest("Unknown scope \"\(scope)\": use key:ID, user:NAME or team:NAME.", param: "scope")
        }
    }

    private static func answer(_ outcome: ReloadOutcome, to writer: ResponseWriter) {
        switch outcome {
        case .reloaded(let generation):
            let body: JSONValue = .object(JSONObject([("reloaded", .bool(true)), ("generation", .number(String(generation)))]))
            GatewayResponder.sendJSON(body.serialized(), to: writer)
        case .failed(let error):
            GatewayResponder.send(error, to: writer)
        }
    }

    static func status(of gateway: Gateway) -> JSONValue {
        let reloads = gateway.reloads.snapshot
        let generation = gateway.generation
        return .object(JSONObject([
            ("generation", .number(String(generation.number))),
            ("config", .string(gateway.source?.name ?? generation.config.sourceName)),
            ("live_generations", .number(String(GenerationLifetime.live))),
            ("plugin_instances", .number(String(PluginInstance.live))),
            ("generation_plugin_instances", .number(String(generation.lifetime.instances.count))),
            ("reloads", .object(JSONObject([
                ("succeeded", .number(String(reloads.succeeded))), ("failed", .number(String(reloads.failed))),
                ("running", .bool(reloads.running)), ("last_error", reloads.lastError.map { .string($0) } ?? .null),
            ]))),
        ]))
    }

    /// OpenAI's 401 shape (what its SDKs read as an authentication error).
    static func unauthorized(_ given: Bool) -> GatewayError {
        GatewayError(status: 401, type: "invalid_request_error", code: "invalid_admin_key",
                     message: given ? "Incorrect admin key provided." : "This admin endpoint needs the master key: Authorization: Bearer <master key>.")
    }

    /// The "admin access" start-up line's fields.
    static func describe(_ admin: AdminConfig, listening: [String]) -> [(String, String)] {
        // The key is the master key too (decision 0024); say which variable it came from, if any.
        let with = admin.keySource.map { $0 == "admin.key" ? "with admin.key" : "with the master key from \($0)" } ?? "with admin.key"
        let main = admin.key == nil ? "off (no master key: neither admin.key nor $\(admin.masterKeyEnvironment) is set)" : with
        let separate = admin.listen == nil ? "off" : "\(listening.joined(separator: ",")) \(admin.key == nil ? "without a key" : with)"
        return [("main_listener", main), ("admin_listener", separate)]
    }
}
