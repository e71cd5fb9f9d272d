import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins

extension RoutingTable: PluginCallRouter {
    /// `call_route`'s answer for `model` (a name, an alias or a model group): the name after
    /// aliases and every provider that serves it, in routing order (exact matches, then "*"; a
    /// group's targets in config order), each with the upstream name it receives, as `{"model":..,"targets":[{"provider":..,"upstream_model":..},...]}`. Empty when
    /// no route serves the model (unknown, or an alias that does not resolve).
    ///
    /// Immutable reads only: safe from any hook's thread.
    public func routeJSON(for model: String) -> [UInt8] {
        guard let (resolution, attempts) = try? resolve(model) else { return [] }
        var json = JSONWriter(capacity: 64 + 64 * attempts.count)
        json.raw(#"{"model":"#)
        json.string(resolution.resolved)
        json.raw(#","targets":["#)
        for (index, attempt) in attempts.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(#"{"provider":"#)
            json.string(attempt.provider)
            json.raw(#","upstream_model":"#)
            json.string(attempt.upstreamModel)
            json.raw("}")
        }
        json.raw("]}")
        return json.bytes
    }
}
