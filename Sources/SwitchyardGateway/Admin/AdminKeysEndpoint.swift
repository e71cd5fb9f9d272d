#if canImport(Glibc)
import Glibc
#endif
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardStore

/// `/admin/keys…` (docs/governance.md, decision 0024), behind the master key like all of
/// `/admin/*`: create, list, read, change, rotate and delete virtual keys.
///
/// Threading: runs on the admin request's loop. A change is written to the store off the loop;
/// the registry serves it, and the answer goes out, once the write committed (`KeyRegistry`).
struct AdminKeysEndpoint {
    static let collection = "/admin/keys"
    let registry: KeyRegistry
    /// The generation's budgets (nil: none configured), for the `spend` of `GET /admin/keys/{id}`.
    let governance: GovernancePolicy?

    static func handles(_ path: String) -> Bool { path == collection || path.hasPrefix(collection + "/") }

    func handle(_ request: HTTPRequest, writer: ResponseWriter) throws(GatewayError) {
        let rest = request.path.dropFirst(Self.collection.utf8.count)
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).dropFirst()  // "" before the first "/"
        let now = Int64(time(nil))
        switch (parts.count, request.method) {
        case (0, "GET"), (0, "HEAD"): list(request, writer)
        case (0, "POST"): try create(request, now: now, writer)
        case (0, _): throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET, POST")
        case (1, "GET"), (1, "HEAD"): show(try found(parts.first!), writer)
        case (1, "PATCH"): try change(try found(parts.first!), request, now: now, writer)
        case (1, "DELETE"): delete(try found(parts.first!), writer)
        case (1, _): throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "GET, PATCH, DELETE")
        case (2, "POST") where parts.last == "rotate": rotate(try found(parts.first!), now: now, writer)
        case (2, _) where parts.last == "rotate": throw GatewayError.methodNotAllowed(method: request.method, path: request.path, allowed: "POST")
        default: throw GatewayError.routeNotFound(method: request.method, path: request.path)
        }
    }

    /// `GET /admin/keys/{id}`: the record and its `spend`, the budgets the key's requests count
    /// against now (its own or `budgets.keys`, its user's, its team's). The ledger answers on
    /// this loop (a Redis ledger after its round trip); `[]` without budgets.
    private func show(_ key: VirtualKey, _ writer: ResponseWriter) {
        guard let governance else { return GatewayResponder.sendJSON(Self.detail(key, spend: .array([])), to: writer) }
        governance.spendJSON(for: key.caller, on: writer.loop) { spend in
            GatewayResponder.sendJSON(Self.detail(key, spend: spend), to: writer)
        }
    }

    /// `GET /admin/keys/{id}`'s body. Built with a writer, member by member, so that other
    /// parts can add theirs (the ledger's `spend`) before the object closes.
    static func detail(_ key: VirtualKey, spend: JSONValue) -> [UInt8] {
        var json = JSONWriter(capacity: 1024)
        json.raw("{")
        KeyJSON.members(key, into: &json)
        json.raw(#","spend":"#); json.value(spend)
        json.raw("}")
        return json.bytes
    }

    private func found(_ id: Substring) throws(GatewayError) -> VirtualKey {
        guard let key = registry.key(id: String(id)) else {
            throw GatewayError(status: 404, type: "invalid_request_error", code: "key_not_found", message: "No virtual key with id '\(id)'.")
        }
        return key
    }

    private func list(_ request: HTTPRequest, _ writer: ResponseWriter) {
        var user: String?
        var team: String?
        for (name, value) in QueryParameters.pairs(request.query) {
            if name == "user" { user = value }
            if name == "team" { team = value }
        }
        let keys = registry.list(user: user, team: team)
        var json = JSONWriter(capacity: 512 * (keys.count + 1))
        json.raw(#"{"object":"list","data":["#)
        for (index, key) in keys.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw("{")
            KeyJSON.members(key, into: &json)
            json.raw("}")
        }
        json.raw("]}")
        GatewayResponder.sendJSON(json.bytes, to: writer)
    }

    private func create(_ request: HTTPRequest, now: Int64, _ writer: ResponseWriter) throws(GatewayError) {
        let secret = KeySecret.generate()
        var key = VirtualKey(id: KeySecret.newID(), hash: secret.hash, prefix: secret.prefix, disabled: false, createdAt: now, updatedAt: now)
        try KeyRequestBody.apply(request.body, to: &key, now: now, patch: false)
        registry.create(key, on: writer.loop) { result in
            Self.answer(result, secret: secret.secret, status: 201, writer)
        }
    }

    private func change(_ key: VirtualKey, _ request: HTTPRequest, now: Int64, _ writer: ResponseWriter) throws(GatewayError) {
        var changed = key
        try KeyRequestBody.apply(request.body, to: &changed, now: now, patch: true)
        changed.updatedAt = now
        registry.replace(key, with: changed, on: writer.loop) { result in Self.answer(result, secret: nil, status: 200, writer) }
    }

    /// A new secret for the same id; the old one stops working when the answer goes out.
    private func rotate(_ key: VirtualKey, now: Int64, _ writer: ResponseWriter) {
        let secret = KeySecret.generate()
        var rotated = key
        rotated.hash = secret.hash
        rotated.prefix = secret.prefix
        rotated.rotatedAt = now
        rotated.updatedAt = now
        registry.replace(key, with: rotated, on: writer.loop) { result in Self.answer(result, secret: secret.secret, status: 200, writer) }
    }

    private func delete(_ key: VirtualKey, _ writer: ResponseWriter) {
        registry.delete(key, on: writer.loop) { result in
            switch result {
            case .success:
                var json = JSONWriter(capacity: 96)
                json.raw(#"{"id":"#); json.string(key.id); json.raw(#","object":"virtual_key.deleted","deleted":true}"#)
                GatewayResponder.sendJSON(json.bytes, to: writer)
            case .failure(let error): GatewayResponder.send(error, to: writer)
            }
        }
    }

    private static func answer(_ result: Result<VirtualKey, GatewayError>, secret: String?, status: Int, _ writer: ResponseWriter) {
        switch result {
        case .success(let key):
            writer.send(status: status, headers: HTTPHeaders([("Content-Type", "application/json")]), body: KeyJSON.object(key, secret: secret))
        case .failure(let error):
            GatewayResponder.send(error, to: writer)
        }
    }
}
