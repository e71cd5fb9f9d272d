import SwitchyardCore
import SwitchyardPosix
import Synchronization

/// Changes of one key, one at a time: a change of a key whose previous change is still being
/// written (store, then Redis) waits its turn, so each reads the record as the previous one
/// committed it, and memory, store and Redis take the changes in the same order. Without this,
/// a PATCH `{"disabled": true}` racing a rotate could be overwritten by the rotate's stale copy.
///
/// Threading: thread-safe (one mutex, held to push or pop a turn). A turn's body runs on the
/// loop it was asked on (at once when the key is idle, else posted there when the previous turn
/// ends); it must call `done` exactly once, on that loop, when its change committed or failed.
final class KeyTurns: Sendable {
    /// Changes that may wait behind the one in flight, per key; past it the change is refused
    /// (409), so a flood of admin requests cannot pile up without bound.
    static let waitingLimit = 32

    private struct Waiting {
        let loop: EventLoop
        let body: LoopConfined<(_ done: @escaping () -> Void) -> Void>
    }

    /// Key id → the turns waiting behind the one in flight; an id is present while one is.
    private let waiting = Mutex<[String: [Waiting]]>([:])

    /// Runs `body` now (the key is idle) or after the turns before it; false, and nothing run,
    /// when `waitingLimit` changes of the key already wait.
    func take(_ id: String, on loop: EventLoop, _ body: @escaping (_ done: @escaping () -> Void) -> Void) -> Bool {
        let startNow = waiting.withLock { waiting -> Bool? in
            guard var queue = waiting[id] else {
                waiting[id] = []
                return true
            }
            guard queue.count < Self.waitingLimit else { return nil }
            queue.append(Waiting(loop: loop, body: LoopConfined(body)))
            waiting[id] = queue
            return false
        }
        guard let startNow else { return false }
        if startNow { body { self.finish(id) } }
        return true
    }

    /// The turn of `id` ended: the next waiting one starts on its own loop.
    private func finish(_ id: String) {
        let next = waiting.withLock { waiting -> Waiting? in
            guard var queue = waiting[id], !queue.isEmpty else {
                waiting.removeValue(forKey: id)
                return nil
            }
            let next = queue.removeFirst()
            waiting[id] = queue
            return next
        }
        guard let next else { return }
        next.loop.execute { next.body.value { self.finish(id) } }
    }

    /// The 409 for a change refused because too many of the key's changes already wait.
    static func busy(_ id: String) -> GatewayError {
        GatewayError(status: 409, type: "invalid_request_error", code: "key_busy",
                     message: "Virtual key '\(id)' already has \(waitingLimit) changes waiting to be applied; retry once they are done.")
    }
}
