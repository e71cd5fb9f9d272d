import SwitchyardJSON

/// `GET /v1/models`: every model the configured providers serve, and the aliases. A key
/// restricted to some models sees only those it may use (`ClientIdentity.lists`); everyone else
/// gets the body built once per generation.
struct ModelsEndpoint {
    let body: [UInt8]
    private let entries: [(id: String, ownedBy: String)]
    /// Alias → the model it resolves to (to list an alias of an allowed model).
    private let aliases: [String: String]
    private let created: Int

    init(routing: RoutingTable, created: Int) {
        entries = routing.modelIDs
        aliases = routing.aliases
        self.created = created
        body = Self.render(routing.modelIDs, created: created)
    }

    /// The list `identity` may see (the whole one when it is nil or unrestricted).
    func body(for identity: ClientIdentity?) -> [UInt8] {
        guard let identity, identity.models != nil else { return body }
        return Self.render(entries.filter { identity.lists($0.id, resolved: aliases[$0.id]) }, created: created)
    }

    private static func render(_ models: [(id: String, ownedBy: String)], created: Int) -> [UInt8] {
        var json = JSONWriter(capacity: 128 * (models.count + 1))
        json.raw(#"{"object":"list","data":["#)
        for (index, model) in models.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(#"{"id":"#)
            json.string(model.id)
            json.raw(#","object":"model","created":"#)
            json.number(created)
            json.raw(#","owned_by":"#)
            json.string(model.ownedBy)
            json.raw("}")
        }
        json.raw("]}")
        return json.bytes
    }
}
