import SwitchyardConfig
import SwitchyardPlugins

/// A `batch_preparers:` entry as the batch path uses it: its plugin instance and the providers
/// whose batches it prepares, resolved once at start-up. Immutable, so every event loop reads it
/// without locks.
final class ConfiguredBatchPreparer: Sendable {
    let name: String
    let plugin: BatchPreparerPlugin
    /// providers[] names it applies to; empty = every provider.
    let providers: Set<String>

    init(entry: BatchPreparerEntry, plugin: BatchPreparerPlugin) {
        name = entry.name
        self.plugin = plugin
        providers = Set(entry.providers)
    }

    /// Whether the entry prepares the batches of `provider`.
    func applies(toProvider provider: String) -> Bool { providers.isEmpty || providers.contains(provider) }
}

extension GatewayServices {
    /// The preparers that prepare `provider`'s batches, in run order.
    func batchPreparers(for provider: String) -> [ConfiguredBatchPreparer] {
        batchPreparers.filter { $0.applies(toProvider: provider) }
    }
}
