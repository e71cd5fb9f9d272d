#if canImport(Glibc)
import Glibc
#endif

/// One loop's count of plugin hook calls and failures, per watched plugin (its `HookWatch` tag)
/// and hook kind: two fixed arrays allocated once, so counting is one increment.
///
/// Threading: owned by the loop's `HookWatch`; written and read on that loop's thread only (the
/// watchdog thread never touches it).
final class HookCounts {
    /// Watched plugins counted one by one; any beyond share the last row.
    static let plugins = 512
    /// Rows of 8: one per `HookKind` raw value (1…7; 0 unused).
    static let slots = plugins * 8
    let calls: UnsafeMutablePointer<UInt64>
    let failures: UnsafeMutablePointer<UInt64>

    init() {
        calls = calloc(Self.slots, MemoryLayout<UInt64>.size)!.assumingMemoryBound(to: UInt64.self)
        failures = calloc(Self.slots, MemoryLayout<UInt64>.size)!.assumingMemoryBound(to: UInt64.self)
    }

    deinit {
        free(calls)
        free(failures)
    }

    /// The slot of a hook of the plugin whose tag is `tag` (`HookWatch.tag(provider:)`: index << 4).
    @inline(__always)
    static func slot(tag: UInt64, hook: UInt64) -> Int {
        min(Int(truncatingIfNeeded: tag >> 1), slots - 8) | Int(truncatingIfNeeded: hook)
    }

    /// (slot, calls, failures) of every slot used, for a scrape. On the loop's thread.
    func snapshot() -> [HookCount] {
        var used: [HookCount] = []
        for slot in 0..<Self.slots where calls[slot] != 0 || failures[slot] != 0 {
            used.append(HookCount(plugin: slot >> 3, hook: slot & 7, calls: calls[slot], failures: failures[slot]))
        }
        return used
    }
}

struct HookCount: Sendable {
    let plugin: Int
    let hook: Int
    var calls: UInt64
    var failures: UInt64
}
