import SwitchyardPosix

/// Installs a built generation: first as the responder's `installed` one, then on every loop
/// (each loop replaces its context's `generation` on its own thread, between two events, so a
/// request sees one generation from start to end and the request path reads a plain field).
/// Returns once every loop has switched, so a client told "reloaded" is served by the new
/// config on whichever loop it lands; a loop stuck in a hook longer than `wait` is left to
/// switch when it gets there (the answer says so through the count returned).
enum GenerationSwap {
    static let wait: UInt64 = 5_000_000_000

    /// The number of loops that had not switched within `wait`.
    static func install(_ generation: GatewayGeneration, on responder: GatewayResponder) -> Int {
        let previous = responder.installed.withLock { installed in
            let previous = installed
            installed = generation
            return previous
        }
        let contexts = responder.loopContexts
        let switched = ConditionLock()
        let pending = UncheckedSendable(Counter(contexts.count))
        for context in contexts {
            let confined = UncheckedSendable(context)
            context.upstream.loop.execute {
                // The old generation may be released right here, on the loop, when no request
                // holds it any more (its instances are freed then).
                confined.value.generation = generation
                switched.withLock {
                    pending.value.value -= 1
                    switched.broadcast()
                }
            }
        }
        _ = previous  // released here or by the last loop or request holding it
        let deadline = monotonicNanoseconds() + wait
        return switched.withLock {
            while pending.value.value > 0, switched.wait(until: deadline) {}
            return pending.value.value
        }
    }

    private final class Counter {
        var value: Int
        init(_ value: Int) { self.value = value }
    }
}
