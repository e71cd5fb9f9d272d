import CSwitchyardPlugin
import Synchronization

/// The host's side of one plugin instance: what `sy_hinst` points at. It attributes logs and
/// metrics to the config entry, and accounts the memory the plugin takes through `alloc`.
/// Lives as long as the process (plugins may keep the handle until instance_free, and the host
/// never unloads). Thread-safe.
public final class HostInstance: Sendable {
    public let name: String
    public let pluginID: String
    public let metrics = MetricRegistry()
    let allocatedBytes = Atomic<Int>(0)
    let allocations = Atomic<Int>(0)

    init(name: String, pluginID: String) {
        self.name = name
        self.pluginID = pluginID
    }

    /// The opaque handle handed to the plugin (retained forever: see above).
    var handle: sy_hinst {
        OpaquePointer(Unmanaged.passRetained(self).toOpaque())
    }

    static func from(_ handle: sy_hinst?) -> HostInstance? {
        guard let handle else { return nil }
        return Unmanaged<HostInstance>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    /// Bytes currently allocated through the host allocator, and live allocations.
    public var memory: (bytes: Int, allocations: Int) {
        (allocatedBytes.load(ordering: .relaxed), allocations.load(ordering: .relaxed))
    }
}

/// Metrics a plugin defines (in instance_new) and records (anywhere). In memory, per instance;
/// read by the host (a /metrics endpoint comes with observability).
public final class MetricRegistry: Sendable {
    public struct Metric: Sendable {
        public let kind: UInt32
        public let name: String
        public let labelNames: [String]
        /// Per label-value tuple: sum of recorded values (counter, histogram) or last value (gauge), and count.
        public var series: [[String]: (value: Double, count: Int)]
    }

    private let metrics = Mutex<[Metric]>([])

    func define(kind: UInt32, name: String, labelNames: [String]) -> UInt32? {
        guard (SY_METRIC_COUNTER...SY_METRIC_HISTOGRAM).contains(kind), !name.isEmpty else { return nil }
        return metrics.withLock { list in
            list.append(Metric(kind: kind, name: name, labelNames: labelNames, series: [:]))
            return UInt32(list.count - 1)
        }
    }

    func record(id: UInt32, value: Double, labels: [String]) -> Bool {
        metrics.withLock { list in
            guard Int(id) < list.count, labels.count == list[Int(id)].labelNames.count else { return false }
            var entry = list[Int(id)].series[labels] ?? (0, 0)
            entry = list[Int(id)].kind == SY_METRIC_GAUGE ? (value, entry.count + 1) : (entry.value + value, entry.count + 1)
            list[Int(id)].series[labels] = entry
            return true
        }
    }

    public var snapshot: [Metric] { metrics.withLock { $0 } }
}
