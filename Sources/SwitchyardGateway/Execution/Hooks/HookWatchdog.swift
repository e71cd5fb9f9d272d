import SwitchyardPlugins
import SwitchyardPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One thread that samples every event loop's `HookWatch` a few times per threshold and reports
/// a plugin hook that has been running on a loop for longer than the threshold: a warn line
/// naming the plugin, the hook, the loop and the time, and +1 on the plugin's slow-hook counter
/// (`HostInstance.slowHooks`). It reports while the hook still blocks, so a hook that never
/// returns is reported too; the loop itself reads the flag when the hook returns (its deadline
/// check and a second line with the final time).
///
/// Cost: the loops pay two stores and a load per hook call; this thread wakes every
/// `threshold / 5` (10 ms by default) and reads one word per loop.
///
/// Threading: `start` and `stop` from the control thread.
final class HookWatchdog: @unchecked Sendable {
    struct WatchedPlugin: Sendable {
        let name: String
        let host: HostInstance?
    }

    let threshold: UInt64
    let period: UInt64
    private let watches: [HookWatch]
    private let plugins: WatchedPlugins
    private let log: GatewayLog
    private let stopping = Atomic<Bool>(false)
    private var thread: pthread_t?

    /// `plugins` indexed as the providers' `HookWatch.tag(provider:)`; each generation appends its own.
    init(watches: [HookWatch], plugins: WatchedPlugins, threshold: UInt64, log: GatewayLog) {
        self.watches = watches
        self.plugins = plugins
        self.threshold = threshold
        period = max(1_000_000, threshold / 5)
        self.log = log
    }

    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<HookWatchdog>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, box)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        self.thread = thread
    }

    /// Ends the thread (within one period).
    func stop() {
        stopping.store(true, ordering: .releasing)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    private func run() {
        var pause = timespec(tv_sec: Int(period / 1_000_000_000), tv_nsec: Int(period % 1_000_000_000))
        while !stopping.load(ordering: .acquiring) {
            sample(now: monotonicNanoseconds())
            var rest = timespec()
            while nanosleep(&pause, &rest) != 0 && errno == EINTR { pause = rest }
            pause = timespec(tv_sec: Int(period / 1_000_000_000), tv_nsec: Int(period % 1_000_000_000))
        }
    }

    /// One pass over the loops; internal for tests.
    func sample(now: UInt64) {
        for (index, watch) in watches.enumerated() {
            let word = watch.state.load(ordering: .relaxed)
            guard word & 1 == 1 else { continue }
            if word != watch.watchdogSeen {
                watch.watchdogSeen = word
                watch.watchdogSeenAt = now
                watch.watchdogReported = false
                continue
            }
            guard !watch.watchdogReported, now - watch.watchdogSeenAt >= threshold else { continue }
            watch.watchdogReported = true
            watch.flaggedSince.store(watch.watchdogSeenAt, ordering: .relaxed)
            watch.flagged.store(word, ordering: .releasing)
            report(word, loop: index, running: now - watch.watchdogSeenAt)
        }
    }

    private func report(_ word: UInt64, loop: Int, running: UInt64) {
        let index = HookWatch.provider(of: word)
        let plugin = plugins.plugin(at: index) ?? WatchedPlugin(name: "?", host: nil)
        let count = plugin.host?.countSlowHook() ?? 0
        log.warn("plugin hook is blocking its event loop", fields: [
            ("plugin", plugin.name), ("hook", HookWatch.hook(of: word)?.name ?? "?"), ("loop", String(loop)),
            ("running_ms", String(running / 1_000_000)), ("threshold_ms", String(threshold / 1_000_000)),
            ("slow_hooks", String(count)),
        ])
    }
}
