import SwitchyardConfig
import Synchronization

/// The names behind the small integer ids that metric series are keyed by (models and
/// providers), for the life of the process.
///
/// Append-only: an id once given keeps its name forever, so a shard written under an older
/// snapshot of the ids stays readable after a config reload added names. The request path never
/// touches this object: it reads an immutable `MetricLabels` snapshot made from it.
///
/// Threading: thread-safe (a mutex); used at start-up, at a reload and by a scrape, never per request.
public final class MetricLabelRegistry: Sendable {
    /// Id 0: no name (a request that failed before its model was known, a files request).
    public static let none: UInt16 = 0
    /// Id 1: a name the config does not list (a wildcard provider's model, an enricher's find).
    public static let other: UInt16 = 1
    /// Ids beyond this are not given: further names share `other` (bounds the series).
    public static let maxNames = 4096

    private struct Names {
        var models = ["", "other"]
        var providers = ["", "other"]
        var modelIDs: [String: UInt16] = [:]
        var providerIDs: [String: UInt16] = [:]
        var snapshots: UInt64 = 0
    }

    private let names = Mutex(Names())

    public init() {}

    /// An immutable snapshot of the ids for `config`'s models (every provider's listed models,
    /// wildcards aside, every alias's target, and every model group: a group request resolves to
    /// the group's name) and providers, giving new names new ids.
    /// Call it for each config that goes live (start-up, each reload): the snapshot goes to the
    /// request path of that config's generation; shards need not change.
    public func labels(for config: GatewayConfig) -> MetricLabels {
        var models: [String] = []
        for provider in config.providers { models += provider.models.filter { $0 != "*" } }
        models += config.aliases.values.sorted()
        models += config.modelGroups.map(\.name)
        return labels(models: models, providers: config.providers.map(\.name))
    }

    /// `labels(for:)` from the names themselves.
    public func labels(models: [String], providers: [String]) -> MetricLabels {
        names.withLock { names in
            var modelIDs: [String: UInt16] = [:]
            for model in models { modelIDs[model] = Self.id(of: model, in: &names.models, &names.modelIDs) }
            var providerIDs: [String: UInt16] = [:]
            for provider in providers { providerIDs[provider] = Self.id(of: provider, in: &names.providers, &names.providerIDs) }
            names.snapshots += 1
            return MetricLabels(models: modelIDs, providers: providerIDs, generation: names.snapshots)
        }
    }

    /// Every model name so far, indexed by id (for a scrape).
    public var modelNames: [String] { names.withLock { $0.models } }
    /// Every provider name so far, indexed by id (for a scrape).
    public var providerNames: [String] { names.withLock { $0.providers } }

    private static func id(of name: String, in list: inout [String], _ ids: inout [String: UInt16]) -> UInt16 {
        if let id = ids[name] { return id }
        guard list.count < maxNames else { return other }
        let id = UInt16(list.count)
        list.append(name)
        ids[name] = id
        return id
    }
}

/// The ids of one config's models and providers, as the request path labels its metrics.
/// Immutable (any loop reads it without a lock); a name it does not hold is `other`.
public struct MetricLabels: Sendable {
    let models: MetricNameTable
    let providers: MetricNameTable
    /// Tells snapshots apart (a shard's cache of the last lookup holds only for its snapshot);
    /// 0 is `empty`'s, the registry numbers its snapshots from 1.
    let generation: UInt64

    init(models: [String: UInt16], providers: [String: UInt16], generation: UInt64) {
        self.models = MetricNameTable(models)
        self.providers = MetricNameTable(providers)
        self.generation = generation
    }

    /// No names: every model and provider is `other` (tests that build services by hand).
    public static let empty = MetricLabels(models: [:], providers: [:], generation: 0)

    @inline(__always)
    func model(_ name: String) -> UInt16 {
        name.isEmpty ? MetricLabelRegistry.none : models.id(name) ?? MetricLabelRegistry.other
    }

    @inline(__always)
    func provider(_ name: String) -> UInt16 {
        name.isEmpty ? MetricLabelRegistry.none : providers.id(name) ?? MetricLabelRegistry.other
    }
}
