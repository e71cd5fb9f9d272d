import Synchronization
import SwitchyardConfig
import SwitchyardPosix

/// The process's pool for blocking plugin hooks: none until a generation's plugins declare a
/// blocking hook, then one pool kept for the rest of the process (a later generation without
/// such plugins leaves it idle; one that needs it again finds it). Its size comes from
/// `server.plugin_workers` / `plugin_worker_queue`, which only a restart changes.
///
/// Threading: `pool` is called on the control or reload thread; `current` from anywhere.
final class PluginWorkers: Sendable {
    private let pool = Mutex<WorkerPool?>(nil)

    /// The pool, started now with `server`'s sizes when there is none yet.
    func pool(startingWith server: ServerConfig) -> WorkerPool {
        pool.withLock { current in
            if let current { return current }
            let started = WorkerPool(threads: server.pluginWorkers, queueCapacity: server.pluginWorkerQueue)
            current = started
            return started
        }
    }

    var current: WorkerPool? { pool.withLock { $0 } }
}
