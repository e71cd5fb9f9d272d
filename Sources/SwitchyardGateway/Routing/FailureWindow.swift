import Synchronization

/// Requests and failures over the last `window` nanoseconds, in `FailureWindow.slots` buckets
/// of `window / slots` each: lock-free, for a breaker's failure rate.
///
/// Each bucket is one atomic word: the bucket's epoch (which `width`-long interval of the
/// monotonic clock it counts) in the high 32 bits, requests in the next 16, failures in the low
/// 16. A bucket whose epoch is stale counts nothing and is reset by the first add in its new
/// interval. Threading: any thread.
struct FailureWindow: ~Copyable, Sendable {
    static let slots = 10
    private let buckets: InlineArray<10, Atomic<UInt64>>
    private let width: UInt64

    init(window: UInt64) {
        width = max(window / UInt64(Self.slots), 1)
        buckets = InlineArray { _ in Atomic<UInt64>(0) }
    }

    func add(failed: Bool, now: UInt64) {
        let epoch = now / width
        let bucket = Int(epoch % UInt64(Self.slots))
        var current = buckets[bucket].load(ordering: .relaxed)
        while true {
            var requests = (current >> 16) & 0xFFFF
            var failures = current & 0xFFFF
            if current >> 32 != epoch & 0xFFFF_FFFF { requests = 0; failures = 0 }
            if requests < 0xFFFF { requests += 1; if failed { failures += 1 } }
            let next = (epoch & 0xFFFF_FFFF) << 32 | requests << 16 | failures
            let (exchanged, original) = buckets[bucket].compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Requests and failures in the buckets of the last window.
    func counts(now: UInt64) -> (requests: Int, failures: Int) {
        let epoch = now / width
        var requests = 0
        var failures = 0
        for slot in 0..<Self.slots {
            let word = buckets[slot].load(ordering: .relaxed)
            let age = (epoch & 0xFFFF_FFFF) &- (word >> 32)
            guard age < UInt64(Self.slots) else { continue }
            requests += Int((word >> 16) & 0xFFFF)
            failures += Int(word & 0xFFFF)
        }
        return (requests, failures)
    }

    func clear() {
        for slot in 0..<Self.slots { buckets[slot].store(0, ordering: .relaxed) }
    }
}
