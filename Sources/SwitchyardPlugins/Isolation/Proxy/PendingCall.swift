import SwitchyardPosix

/// One call sent to a runner and not answered yet. A hook thread waits for it (`wait`); a
/// guardrail's inspect, which must not wait, gives `done` instead, which the supervisor thread
/// runs with the answer. Completed exactly once, by the supervisor thread: with the runner's
/// reply, or with the failure that ended the runner.
final class PendingCall: @unchecked Sendable {  // `result` guarded by `lock`
    /// Its id on the wire.
    let id: UInt64
    /// The hook's name, for a timeout's message.
    let hook: String
    /// Monotonic nanoseconds after which the runner is presumed hung.
    let deadline: UInt64
    /// The frame type that answers it: `verdict` for an inspect, `reply` for the rest.
    let answer: IsolationMessage
    let done: (@Sendable (Result<WireReply, PluginFailure>) -> Void)?
    private let lock = ConditionLock()
    private var result: Result<WireReply, PluginFailure>?

    init(id: UInt64, hook: String, deadline: UInt64, answer: IsolationMessage = .reply,
         done: (@Sendable (Result<WireReply, PluginFailure>) -> Void)? = nil) {
        self.id = id
        self.answer = answer
        self.hook = hook
        self.deadline = deadline
        self.done = done
    }

    func complete(_ result: Result<WireReply, PluginFailure>) {
        if let done {
            done(result)
            return
        }
        lock.withLock {
            self.result = result
            lock.broadcast()
        }
    }

    /// Blocks until `complete` or `deadline` (monotonic ns): nil at the deadline.
    func wait(until deadline: UInt64) -> Result<WireReply, PluginFailure>? {
        lock.withLock {
            while result == nil, lock.wait(until: deadline) {}
            return result
        }
    }

    /// How long past its deadline a call waits for the supervisor, which normally fails it at
    /// the deadline (killing the runner); only a stuck supervisor lets the grace pass.
    static let graceNanoseconds: UInt64 = 2_000_000_000

    /// Blocks until `complete`, or `late` once the deadline and the grace have passed.
    func wait(late: @autoclosure () -> PluginFailure) -> Result<WireReply, PluginFailure> {
        wait(until: deadline &+ Self.graceNanoseconds) ?? .failure(late())
    }
}
