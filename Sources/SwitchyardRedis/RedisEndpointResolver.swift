import Synchronization
import SwitchyardPosix

/// The client's view of where Redis is, as an address hiredis can connect to without DNS. A
/// configured address or unix path is used as it is. A host name is resolved once when the
/// client is made (off the loops), and again on a background thread before each reconnection
/// (a changed DNS answer is picked up; a name that did not resolve at start may later). When a
/// new resolution fails the last address that worked is kept.
///
/// Threading: any thread. `refresh` resolves on a detached thread (never on a loop), one
/// resolution at a time: callers that ask meanwhile wait for the same answer. Each caller's
/// completion runs on the loop it named.
final class RedisEndpointResolver: Sendable {
    typealias Completion = @Sendable (Result<RedisSettings.Endpoint, RedisResolutionFailure>) -> Void

    let configured: RedisSettings.Endpoint
    /// True when `configured` names a host (resolution needed); false for an address or a path.
    let isName: Bool
    private struct State {
        var latest: RedisSettings.Endpoint?
        var lastFailure: RedisResolutionFailure?
        var resolving = false
        var waiters: [(EventLoop, Completion)] = []
    }
    private let state: Mutex<State>

    /// Resolves `endpoint` now, on the caller's thread (at start, off the loops).
    init(_ endpoint: RedisSettings.Endpoint) {
        configured = endpoint
        if case .tcp(let host, _) = endpoint { isName = !RedisEndpointResolution.isAddress(host) } else { isName = false }
        var initial = State()
        switch RedisEndpointResolution.resolve(endpoint) {
        case .success(let address): initial.latest = address
        case .failure(let failure): initial.lastFailure = failure
        }
        state = Mutex(initial)
    }

    /// The address to connect to (nil: the name has never resolved), and why not.
    var current: Result<RedisSettings.Endpoint, RedisResolutionFailure> {
        state.withLock { state in
            if let latest = state.latest { return .success(latest) }
            return .failure(state.lastFailure ?? RedisResolutionFailure(message: "not resolved yet"))
        }
    }

    /// Resolves the name again on a background thread; `then` runs on `loop` with the new
    /// address, the last one that worked when this resolution failed, or the failure.
    func refresh(on loop: EventLoop, then: @escaping Completion) {
        let startThread = state.withLock { state -> Bool in
            state.waiters.append((loop, then))
            guard !state.resolving else { return false }
            state.resolving = true
            return true
        }
        guard startThread else { return }
        let configured = self.configured
        startDetachedThread { [self] in
            let resolved = RedisEndpointResolution.resolve(configured)
            let (answer, waiters) = state.withLock { state -> (Result<RedisSettings.Endpoint, RedisResolutionFailure>, [(EventLoop, Completion)]) in
                switch resolved {
                case .success(let address): state.latest = address
                case .failure(let failure): state.lastFailure = failure
                }
                state.resolving = false
                let waiters = state.waiters
                state.waiters = []
                if let latest = state.latest { return (.success(latest), waiters) }
                return (resolved, waiters)
            }
            for (loop, completion) in waiters { loop.execute { completion(answer) } }
        }
    }
}
