import SwitchyardPosix

/// Completions gathered while a store thread works through a batch, handed to each caller's
/// event loop with one `execute` per loop (not one per job): a batch of 200 writes from 4 loops
/// wakes 4 loops once each.
///
/// Threading: built and flushed on one store thread. A completion without a loop runs on the
/// store thread itself (tests, shutdown paths) and must be quick.
struct Deliveries {
    private var perLoop: [ObjectIdentifier: (loop: EventLoop, calls: [@Sendable () -> Void])] = [:]
    private var direct: [@Sendable () -> Void] = []

    mutating func add(_ call: @escaping @Sendable () -> Void, on loop: EventLoop?) {
        guard let loop else {
            direct.append(call)
            return
        }
        perLoop[ObjectIdentifier(loop), default: (loop, [])].calls.append(call)
    }

    mutating func flush() {
        for (_, entry) in perLoop {
            let calls = entry.calls
            entry.loop.execute { for call in calls { call() } }
        }
        for call in direct { call() }
        perLoop.removeAll(keepingCapacity: true)
        direct.removeAll(keepingCapacity: true)
    }
}
