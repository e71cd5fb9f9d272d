import Synchronization

/// The plugins the hook watchdog can name, indexed by the tag each configured provider,
/// guardrail and enricher carries into the loops' hook watch. Every generation appends its own
/// (never reusing an index), so a hook of an older generation still running during a reload is
/// reported under its own plugin. A handful of entries per reload; never shrinks.
///
/// Threading: `append` on the control or reload thread (one at a time); `plugin(at:)` from the
/// watchdog thread.
final class WatchedPlugins: Sendable {
    private let entries = Mutex<[HookWatchdog.WatchedPlugin]>([])

    var count: Int { entries.withLock { $0.count } }

    func append(_ plugins: [HookWatchdog.WatchedPlugin]) {
        entries.withLock { $0.append(contentsOf: plugins) }
    }

    func plugin(at index: Int) -> HookWatchdog.WatchedPlugin? {
        entries.withLock { index < $0.count ? $0[index] : nil }
    }
}
