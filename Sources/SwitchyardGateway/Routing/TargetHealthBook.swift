import SwitchyardConfig
import Synchronization

/// Owns every `TargetHealth` of the process, keyed by target, so a config reload can build its
/// routing table with the same objects for the targets that did not change (their breaker state
/// and latency average carry over) and new ones for the rest.
///
/// Threading: any thread; a mutex guards the map. Touched only while a routing table is built
/// and when metrics enumerate the targets, never per request.
public final class TargetHealthBook: Sendable {
    /// What identifies a target across reloads.
    public struct Key: Sendable, Hashable {
        public let provider: String
        public let plugin: String
        /// `TargetHealthBook.identity(of:plugin:)`: a changed entry (or plugin config) is a new target.
        public let identity: Int
        public let upstreamModel: String

        public init(provider: String, plugin: String, identity: Int, upstreamModel: String) {
            self.provider = provider
            self.plugin = plugin
            self.identity = identity
            self.upstreamModel = upstreamModel
        }
    }

    /// One target as metrics report it.
    public struct Entry: Sendable, Equatable {
        public let provider: String
        public let model: String
        public let state: TargetHealth.State
        public let consecutiveFailures: Int
    }

    private let targets = Mutex<[Key: TargetHealth]>([:])

    public init() {}

    /// The target's health object: the one already kept for `key`, or a new one. `breaker` nil =
    /// breaker off (the key's identity includes the settings, so a change makes a new object).
    func health(for key: Key, breaker: BreakerPolicy?) -> TargetHealth {
        targets.withLock { map in
            if let kept = map[key] { return kept }
            let made = TargetHealth(provider: key.provider, model: key.upstreamModel, policy: breaker)
            map[key] = made
            return made
        }
    }

    /// Forgets every target not in `keys` (after a reload swapped in a table that uses only them).
    public func retain(only keys: Set<Key>) {
        targets.withLock { map in map = map.filter { keys.contains($0.key) } }
    }

    /// Every target, sorted by provider then model.
    public func entries() -> [Entry] {
        let all = targets.withLock { Array($0.values) }
        return all.map { Entry(provider: $0.provider, model: $0.model, state: $0.state, consecutiveFailures: $0.consecutiveFailures) }
            .sorted { ($0.provider, $0.model) < ($1.provider, $1.model) }
    }

    /// A provider entry's identity for `Key`: everything that shapes how its targets are called
    /// (not where it is written in the file).
    public static func identity(of entry: ProviderEntry, plugin: PluginEntry?) -> Int {
        var hasher = Hasher()
        hasher.combine(entry.plugin)
        hasher.combine(entry.models)
        hasher.combine(entry.upstreamModels)
        hasher.combine(entry.timeouts)
        hasher.combine(entry.passthrough)
        hasher.combine(entry.breaker)
        if let plugin {
            hasher.combine(plugin.path)
            hasher.combine(plugin.configJSON)
        }
        return hasher.finalize()
    }
}
