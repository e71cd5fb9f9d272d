import SwitchyardConfig
import SwitchyardPlugins

/// An `enrichers:` entry as the request path uses it: its plugin instance, the providers whose
/// passthrough and native traffic it observes, and the deadline of one hook, resolved once at
/// start-up. Immutable, so every event loop reads it without locks.
final class ConfiguredEnricher: Sendable {
    let name: String
    let plugin: EnricherPlugin
    /// providers[] names it applies to; empty = every provider.
    let providers: Set<String>
    /// The longest one hook may run, in nanoseconds (> 0): pass it to `EnricherPlugin.begin`,
    /// which drops the enricher for the call when a hook returns later.
    let deadline: UInt64
    /// Its tag for the loops' hook watch (a blocking hook is reported like a provider's).
    let watchTag: UInt64

    init(entry: EnricherEntry, plugin: EnricherPlugin, watchTag: UInt64 = 0) {
        name = entry.name
        self.plugin = plugin
        providers = Set(entry.providers)
        deadline = entry.deadline
        self.watchTag = watchTag
    }

    /// Whether the entry observes a call served by `provider` (one set lookup; none when the
    /// entry applies to every provider).
    func applies(toProvider provider: String) -> Bool { providers.isEmpty || providers.contains(provider) }
}

extension GatewayServices {
    /// The names of the enrichers that observe `provider`'s calls, in config order.
    func enricherNames(for provider: String) -> [String] {
        enrichers.isEmpty ? [] : enrichers.filter { $0.applies(toProvider: provider) }.map(\.name)
    }

    /// The plan's enrichers (`names`) that observe `provider`'s calls, in config order.
    func enrichers(for provider: String, among names: [String]) -> [ConfiguredEnricher] {
        enrichers.filter { names.contains($0.name) && $0.applies(toProvider: provider) }
    }
}
