import Synchronization

/// The bytes of request bodies in flight, across every loop of a server, against one limit
/// (`HTTPServerConfiguration.maxBodyMemory`). A connection reserves before it buffers (in
/// steps as a body arrives) and releases when its response
/// has ended; a reservation over the limit is refused and the request answered with 503, so
/// many slow or large uploads cannot grow the process without bound.
///
/// Threading: any thread (one atomic counter).
final class BodyMemoryBudget: Sendable {
    let limit: Int
    private let reserved = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var inUse: Int { reserved.load(ordering: .relaxed) }

    /// Reserves `bytes`; false (and nothing reserved) when that would pass the limit.
    func reserve(_ bytes: Int) -> Bool {
        var current = reserved.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, original) = reserved.compareExchange(expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    func release(_ bytes: Int) {
        if bytes > 0 { reserved.subtract(bytes, ordering: .relaxed) }
    }
}
