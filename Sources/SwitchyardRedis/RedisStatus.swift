import Synchronization

/// The client's health, shared by its connections (one per loop) and read by metrics scrapes.
/// The process-wide state flips, and is logged, once per transition: down when the first
/// connection goes down, up when every connection is up again.
/// Threading: any thread (atomics and a small lock).
public final class RedisStatus: Sendable {
    private let connections = Atomic<Int>(0)
    private let connectionsUp = Atomic<Int>(0)
    private let failed = Atomic<UInt64>(0)
    private let timeouts = Atomic<UInt64>(0)
    private let reportedUp = Mutex<Bool?>(nil)
    private let log: @Sendable (_ up: Bool, _ message: String) -> Void

    init(log: @escaping @Sendable (_ up: Bool, _ message: String) -> Void) {
        self.log = log
    }

    /// 1 when every loop's connection is up, else 0 (`switchyard_redis_up`).
    public var isUp: Bool {
        let total = connections.load(ordering: .relaxed)
        return total > 0 && connectionsUp.load(ordering: .relaxed) == total
    }

    public var connectionCount: Int { connections.load(ordering: .relaxed) }
    public var connectionsUpCount: Int { connectionsUp.load(ordering: .relaxed) }
    /// Commands that got no reply (not sent while down, timed out, lost with the connection).
    public var failedCommands: UInt64 { failed.load(ordering: .relaxed) }
    public var timedOutCommands: UInt64 { timeouts.load(ordering: .relaxed) }

    func connectionAdded() { connections.add(1, ordering: .relaxed) }

    func connectionUp(_ endpoint: String) {
        connectionsUp.add(1, ordering: .relaxed)
        report(up: true, "redis up at \(endpoint)")
    }

    func connectionDown(wasUp: Bool, _ endpoint: String, reason: String) {
        if wasUp { connectionsUp.subtract(1, ordering: .relaxed) }
        report(up: false, "redis down at \(endpoint): \(reason); commands fail until it is back")
    }

    func connectionClosed(wasUp: Bool) {
        if wasUp { connectionsUp.subtract(1, ordering: .relaxed) }
    }

    func commandFailed(_ failure: RedisFailure) {
        failed.add(1, ordering: .relaxed)
        if case .timeout = failure { timeouts.add(1, ordering: .relaxed) }
    }

    private func report(up: Bool, _ message: String) {
        let flipped = reportedUp.withLock { reported -> Bool in
            let state = up ? isUp : false
            guard reported != state, up == state else { return false }
            reported = state
            return true
        }
        if flipped { log(up, message) }
    }
}
