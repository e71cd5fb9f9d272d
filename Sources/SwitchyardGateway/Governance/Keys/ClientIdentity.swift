import SwitchyardCore

/// An authenticated request's key: who it speaks for (`caller`, set on the plan) and what it may
/// reach. The master key may reach everything.
///
/// Models (decision 0024): a key's `models` names the model names, aliases and group names it
/// may ask for. A request passes when the name it asked for, the model that name resolved to, or
/// any alias followed on the way is listed: a key for `gpt-4o` may also use every alias of
/// `gpt-4o`; a key for alias `fast` may use `fast` but not the model behind it by name.
/// Routes: the request's path (as sent, without the query) must start with a listed prefix.
struct ClientIdentity: Sendable {
    let caller: Caller
    /// nil = every model.
    let models: Set<String>?
    /// nil = every route.
    let routes: [String]?

    static let master = ClientIdentity(caller: Caller(keyID: Caller.masterKeyID, keyPrefix: "master"), models: nil, routes: nil)

    init(caller: Caller, models: Set<String>?, routes: [String]?) {
        self.caller = caller
        self.models = models
        self.routes = routes
    }

    init(_ key: VirtualKey) {
        self.init(caller: key.caller, models: key.models.map(Set.init), routes: key.routes)
    }

    /// Throws the 403 for a route the key may not call.
    func authorize(path: String) throws(GatewayError) {
        // On a segment boundary: "/p/openai" allows "/p/openai/…", not "/p/openai-eu/…".
        guard let routes, !routes.contains(where: { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else { return }
        throw GatewayError(status: 403, type: "permission_error", code: "route_not_allowed",
                           message: "The API key \(caller.keyPrefix)… may not call \(path) (it may call: \(routes.joined(separator: ", "))).")
    }

    /// Passthrough (`/p/…`) and batches carry models the gateway does not check here (inside a
    /// provider's own body, inside a batch's file): a key restricted to some models reaches them
    /// only when its `routes` name them explicitly (`"/p/openai/"`, `"/v1/batches"`), so a
    /// model list cannot be stepped around by accident.
    func authorizeUncheckedModels(path: String) throws(GatewayError) {
        guard let models else { return }
        if let routes, routes.contains(where: { path.hasPrefix($0) && ($0.hasPrefix("/p/") || $0.hasPrefix("/v1/batches")) }) { return }
        throw GatewayError(status: 403, type: "permission_error", code: "model_not_allowed",
                           message: "The API key \(caller.keyPrefix)… may use only some models (\(models.sorted().joined(separator: ", "))), and the gateway does not check the models of \(path); list the route in the key's routes to allow it.")
    }

    /// Throws the 403 for a model the key may not use, once the plan says what the name resolved to.
    func authorize(_ resolution: ModelResolution) throws(GatewayError) {
        guard let models, !allows(resolution) else { return }
        throw GatewayError(status: 403, type: "permission_error", code: "model_not_allowed",
                           message: "The API key \(caller.keyPrefix)… may not use the model '\(resolution.requested)' (it may use: \(models.sorted().joined(separator: ", "))).")
    }

    func allows(_ resolution: ModelResolution) -> Bool {
        guard let models else { return true }
        return models.contains(resolution.requested) || models.contains(resolution.resolved) || resolution.aliases.contains(where: models.contains)
    }

    /// Whether `/v1/models` lists `id`; `resolved` is where the id leads when it is an alias.
    func lists(_ id: String, resolved: String?) -> Bool {
        guard let models else { return true }
        return models.contains(id) || resolved.map(models.contains) ?? false
    }
}

extension ExecutionPlan {
    /// Checks the plan's model against the key and records who asked (every planned request
    /// carries its caller, nil on an open gateway). On the bare path this is one nil check.
    mutating func authorize(_ identity: ClientIdentity?) throws(GatewayError) {
        guard let identity else { return }
        try identity.authorize(resolution)
        caller = identity.caller
    }
}
