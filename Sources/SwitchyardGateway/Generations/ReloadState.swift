import SwitchyardPosix

/// One reload at a time, and none once shutdown has begun; the counts `/admin/status` shows.
/// A second reload either waits for the running one (SIGHUP: the operator's latest edit is
/// never skipped) or is refused at once (`POST /admin/reload` answers 409). At most one waits:
/// it reads the config once the running one ends, so it covers every SIGHUP sent meanwhile, and
/// a burst of signals does not pile up threads (`queueWaiter`).
///
/// Threading: thread-safe; `begin`/`end` bracket a reload on the reload thread.
final class ReloadState: @unchecked Sendable {  // every field is guarded by `lock`
    private let lock = ConditionLock()
    private var running = false
    private var stopped = false
    /// A waiting reload was let in (`queueWaiter`) and has not begun yet.
    private var waiterQueued = false
    private var generation = 1
    private var succeeded = 0
    private var failed = 0
    private var lastError: String?

    enum Begin { case go(nextGeneration: Int), busy, stopped }

    /// True when the caller should start a waiting reload (`begin(waiting: true)`); false when
    /// one is already queued and has not begun: it reads the config after this call, so it
    /// takes in whatever edit this caller wanted read.
    func queueWaiter() -> Bool {
        lock.withLock {
            if waiterQueued { return false }
            waiterQueued = true
            return true
        }
    }

    /// `waiting`: wait for a running reload (the queued waiter, which stops being queued here:
    /// a later signal may come after this reload has read the config, and queues the next).
    func begin(waiting: Bool) -> Begin {
        lock.withLock {
            while running && waiting && !stopped { lock.wait() }
            if waiting { waiterQueued = false }
            if stopped { return .stopped }
            if running { return .busy }
            running = true
            return .go(nextGeneration: generation + 1)
        }
    }

    /// Ends the reload `begin` allowed: `installed` is the new generation's number, or nil
    /// when it failed with `error`.
    func end(installed: Int?, error: String?) {
        lock.withLock {
            running = false
            if let installed {
                generation = installed
                succeeded += 1
                lastError = nil
            } else {
                failed += 1
                lastError = error
            }
            lock.broadcast()
        }
    }

    /// Waits for a running reload, then refuses every later one.
    func stop() {
        lock.withLock {
            stopped = true
            while running { lock.wait() }
            lock.broadcast()
        }
    }

    struct Snapshot {
        let generation: Int
        let succeeded: Int
        let failed: Int
        let running: Bool
        let lastError: String?
    }

    var snapshot: Snapshot {
        lock.withLock { Snapshot(generation: generation, succeeded: succeeded, failed: failed, running: running, lastError: lastError) }
    }
}
