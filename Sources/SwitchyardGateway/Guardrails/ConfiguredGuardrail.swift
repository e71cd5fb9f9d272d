import CSwitchyardPlugin
import SwitchyardConfig
import SwitchyardCore
import SwitchyardPlugins

/// A `guardrails:` entry as the request path uses it: its plugin instance, where it applies, its
/// place in the sequence and its failure policy, resolved once at start-up. Immutable.
final class ConfiguredGuardrail: Sendable {
    let name: String
    let plugin: GuardrailPlugin
    /// SY_PHASE_* bits: the entry's `phases` within what the plugin declares.
    let phases: UInt32
    let order: Int
    let failOpen: Bool
    /// Bounds one inspect, and a pause, in nanoseconds.
    let deadline: UInt64
    /// Its tag for the loops' hook watch (a blocking inspect is reported like a provider hook).
    let watchTag: UInt64
    // Empty = everything.
    private let models: Set<String>
    private let providers: Set<String>
    private let routes: Set<String>

    init(entry: GuardrailEntry, plugin: GuardrailPlugin, watchTag: UInt64 = 0) {
        self.watchTag = watchTag
        name = entry.name
        self.plugin = plugin
        phases = (entry.phases ?? plugin.phases) & plugin.phases
        order = entry.order
        failOpen = entry.failOpen
        deadline = entry.deadline
        models = Set(entry.models)
        providers = Set(entry.providers)
        routes = Set(entry.routes)
    }

    /// Whether the entry takes part in a request for `resolution` on `route` (planning time);
    /// providers are checked per attempt.
    func applies(to resolution: ModelResolution, route: EndpointOperation) -> Bool {
        guard phases(on: route) != 0 else { return false }
        if !routes.isEmpty, !routes.contains(route.rawValue) { return false }
        if models.isEmpty { return true }
        return models.contains(resolution.requested) || models.contains(resolution.resolved)
            || resolution.aliases.contains(where: models.contains)
    }

    func applies(toProvider provider: String) -> Bool { providers.isEmpty || providers.contains(provider) }

    /// The phases that exist on a route: embeddings have no chat response to inspect.
    func phases(on route: EndpointOperation) -> UInt32 {
        route == .embeddings ? phases & SY_PHASE_REQUEST : phases
    }
}

extension Array where Element == ConfiguredGuardrail {
    /// The entries that run in `phase` for an attempt on `provider`, as groups: ascending
    /// `order`, entries of one order together (they run concurrently), config order within.
    func groups(phase: UInt32, route: EndpointOperation, provider: String) -> [[ConfiguredGuardrail]] {
        var groups: [[ConfiguredGuardrail]] = []
        for guardrail in self where guardrail.phases(on: route) & phase != 0 && guardrail.applies(toProvider: provider) {
            if let last = groups.last?.first, last.order == guardrail.order {
                groups[groups.count - 1].append(guardrail)
            } else {
                groups.append([guardrail])
            }
        }
        return groups
    }
}
