import Synchronization

/// Counts of what the supervisors of isolated plugins did, by plugin entry name, for /metrics
/// (docs/metrics.md): runner ends (crashes, kills at a hook timeout), restarts, and whether the
/// entry is up. Cumulative across reloads (a reload's new runner for the same entry adds to its
/// counts). Thread-safe.
public enum IsolationStats {
    public struct Entry: Sendable, Equatable {
        public var crashes = 0
        public var timeouts = 0
        public var restarts = 0
        /// Runners supervised now for this entry (0 once stopped or disabled).
        public var running = 0
        public var disabled = false
    }

    private static let entries = Mutex<[String: Entry]>([:])

    /// Every isolated entry ever loaded in this process, sorted by name.
    public static var snapshot: [(name: String, entry: Entry)] {
        entries.withLock { $0.sorted { $0.key < $1.key }.map { (name: $0.key, entry: $0.value) } }
    }

    static func register(_ name: String) {
        entries.withLock {
            $0[name, default: Entry()].running += 1
            $0[name]!.disabled = false
        }
    }

    static func unregister(_ name: String) { entries.withLock { $0[name, default: Entry()].running -= 1 } }

    static func crashed(_ name: String, timedOut: Bool) {
        entries.withLock {
            $0[name, default: Entry()].crashes += 1
            if timedOut { $0[name]!.timeouts += 1 }
        }
    }

    static func restarted(_ name: String) { entries.withLock { $0[name, default: Entry()].restarts += 1 } }

    static func disabled(_ name: String) {
        entries.withLock {
            $0[name, default: Entry()].disabled = true
            $0[name]!.running -= 1
        }
    }
}
