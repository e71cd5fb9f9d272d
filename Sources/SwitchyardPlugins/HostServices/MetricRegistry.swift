import CSwitchyardPlugin
import Synchronization

/// Metrics one plugin instance defines (inside instance_new) and records (from any thread).
/// In memory; the host reads `snapshot` to render them (a /metrics endpoint). Thread-safe.
///
/// Semantics per kind: a counter adds non-negative values, a gauge keeps the last value, a
/// histogram keeps the sum and the count of observations (no buckets in v1).
public final class MetricRegistry: Sendable {
    public struct Series: Sendable, Equatable {
        /// Sum (counter, histogram) or last value (gauge).
        public var value: Double
        /// Number of records.
        public var count: Int
    }

    public struct Metric: Sendable {
        public let kind: UInt32
        public let name: String
        public let labelNames: [String]
        /// Keyed by label values, in the order of `labelNames`.
        public var series: [[String]: Series]
    }

    private let metrics = Mutex<[Metric]>([])

    /// The id of a new metric, or of the existing one when the same name is defined again with
    /// the same kind and labels; nil for an unknown kind, a bad name or a conflicting redefinition.
    func define(kind: UInt32, name: String, labelNames: [String]) -> UInt32? {
        guard (SY_METRIC_COUNTER...SY_METRIC_HISTOGRAM).contains(kind), Self.isValidName(name),
              labelNames.allSatisfy(Self.isValidName), Set(labelNames).count == labelNames.count
        else { return nil }
        return metrics.withLock { list in
            if let index = list.firstIndex(where: { $0.name == name }) {
                let existing = list[index]
                return existing.kind == kind && existing.labelNames == labelNames ? UInt32(index) : nil
            }
            list.append(Metric(kind: kind, name: name, labelNames: labelNames, series: [:]))
            return UInt32(list.count - 1)
        }
    }

    /// False for an unknown id, a wrong number of label values, a non-finite value, or a negative
    /// counter increment.
    func record(id: UInt32, value: Double, labels: [String]) -> Bool {
        guard value.isFinite else { return false }
        return metrics.withLock { list in
            guard Int(id) < list.count, labels.count == list[Int(id)].labelNames.count else { return false }
            let kind = list[Int(id)].kind
            if kind == SY_METRIC_COUNTER && value < 0 { return false }
            var entry = list[Int(id)].series[labels] ?? Series(value: 0, count: 0)
            entry.value = kind == SY_METRIC_GAUGE ? value : entry.value + value
            entry.count += 1
            list[Int(id)].series[labels] = entry
            return true
        }
    }

    /// A copy of every metric, in definition order (the index is the id).
    public var snapshot: [Metric] { metrics.withLock { $0 } }

    /// Prometheus-compatible names: [a-zA-Z_][a-zA-Z0-9_]*.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F
        }
    }
}
