import SwitchyardJSON

/// `GET /v1/models`: every model the configured providers serve, and the aliases.
struct ModelsEndpoint {
    let body: [UInt8]

    init(routing: RoutingTable, created: Int) {
        var json = JSONWriter(capacity: 128 * (routing.modelIDs.count + 1))
        json.raw(#"{"object":"list","data":["#)
        for (index, model) in routing.modelIDs.enumerated() {
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
        body = json.bytes
    }
}
