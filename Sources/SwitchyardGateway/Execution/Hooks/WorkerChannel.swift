import CSwitchyardPlugin
import SwitchyardPlugins
import SwitchyardPosix

/// The sink target of a plugin hook running on a worker thread, and the way its result gets back
/// to the request's event loop. Each write is copied and queued; the loop takes the queue in
/// order (`take`) and renders it as if the plugin had written on the loop. The hook's result
/// (`finish`) queues behind its writes, so the loop sees writes then result, in order.
///
/// Bounded: at most `maxBytesInFlight` bytes of writes are copied but not yet acknowledged by the
/// loop (`acknowledge`, which the loop delays while the client reads slower than the plugin
/// writes). A write that would go past it waits on the worker thread, so a slow client slows the
/// plugin down, as it pauses an upstream on the translated path. A single write larger than the
/// bound is let through once nothing else is in flight.
///
/// Cancellation: once the loop `close`s the channel (client gone, deadline passed, request
/// answered), every write returns SY_E_CANCELLED at once (also a writer waiting for room), queued
/// output is dropped, and `finish` results are discarded.
///
/// Threading: `pluginWrote` and `finish` on the worker; `take`, `acknowledge` and `close` on the
/// loop; all thread-safe.
final class WorkerChannel: PluginSinkTarget, @unchecked Sendable {
    enum Event {
        case write(kind: UInt32, bytes: [UInt8])
        case finish(() -> Void)
    }

    /// The same bound as a client's send buffer on the translated path (ResponseWriter.highWater).
    static let defaultMaxBytesInFlight = 256 * 1024

    let maxBytesInFlight: Int
    private let loop: EventLoop
    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var pending: [Event] = []
    private var bytesInFlight = 0
    private var closed = false
    /// Posted to the loop when the queue goes from empty to non-empty; nil once closed.
    private var notify: (() -> Void)?

    /// `notify` runs on `loop` (through `EventLoop.execute`) whenever there is output to take.
    init(loop: EventLoop, maxBytesInFlight: Int = WorkerChannel.defaultMaxBytesInFlight, notify: @escaping () -> Void) {
        self.loop = loop
        self.maxBytesInFlight = maxBytesInFlight
        self.notify = notify
    }

    var isClosed: Bool { lock.withLock { closed } }

    // MARK: worker side

    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
        var post: (() -> Void)?
        let accepted: Bool = lock.withLock {
            while !closed && bytesInFlight > 0 && bytesInFlight + bytes.count > maxBytesInFlight { lock.wait() }
            if closed { return false }
            bytesInFlight += bytes.count
            post = enqueue(.write(kind: kind, bytes: Array(bytes)))
            return true
        }
        guard accepted else { return SY_E_CANCELLED }
        if let post { loop.execute(UncheckedSendable(post).call) }
        return SY_OK
    }

    /// Queues the hook's result for the loop, behind its writes; dropped when closed.
    func finish(_ result: @escaping () -> Void) {
        let post: (() -> Void)? = lock.withLock { closed ? nil : enqueue(.finish(result)) }
        if let post { loop.execute(UncheckedSendable(post).call) }
    }

    /// Appends `event`; returns the notification to post when the queue was empty (the loop has
    /// taken everything before, so it needs telling). Inside the lock.
    private func enqueue(_ event: Event) -> (() -> Void)? {
        pending.append(event)
        return pending.count == 1 ? notify : nil
    }

    // MARK: loop side

    /// Everything queued since the last call, in order.
    func take() -> [Event] {
        lock.withLock {
            let events = pending
            pending = []
            return events
        }
    }

    /// The loop is done with `count` bytes of writes: room for the worker's next ones.
    func acknowledge(_ count: Int) {
        guard count > 0 else { return }
        lock.withLock {
            bytesInFlight = max(0, bytesInFlight - count)
            lock.broadcast()
        }
    }

    /// No more output is wanted: writes return SY_E_CANCELLED, queued output is dropped.
    func close() {
        let dropped: [Event] = lock.withLock {
            closed = true
            notify = nil
            let events = pending
            pending = []
            lock.broadcast()
            return events
        }
        _ = dropped  // released outside the lock
    }
}

/// Carries a value the compiler cannot prove Sendable across threads; the code that uses it
/// keeps it confined (one thread at a time, handed over through a queue or a loop task).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension UncheckedSendable where Value == () -> Void {
    var call: @Sendable () -> Void { { value() } }
}
