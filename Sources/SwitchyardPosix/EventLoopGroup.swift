#if canImport(Glibc)
import Glibc
#endif

/// One `EventLoop` per core, each on its own thread. Connections stay on the loop that accepted
/// them (each loop has its own SO_REUSEPORT listener), so loops share nothing on the hot path.
public final class EventLoopGroup: @unchecked Sendable {
    public let loops: [EventLoop]
    private var threads: [pthread_t] = []

    public init(count: Int) throws(IOError) {
        var loops: [EventLoop] = []
        for _ in 0..<max(1, count) { loops.append(try EventLoop()) }
        self.loops = loops
    }

    /// Starts every loop on a new thread. `prepare` runs on each loop's thread before it runs.
    public func start(prepare: @escaping @Sendable (EventLoop) -> Void = { _ in }) {
        for loop in loops {
            let box = Unmanaged.passRetained(ThreadStart { prepare(loop); loop.run() })
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
                start.body()
                return nil
            }, box.toOpaque())
            precondition(rc == 0, "pthread_create failed: \(rc)")
            threads.append(thread)
        }
    }

    /// Stops every loop and waits for its thread to finish.
    public func stopAndJoin() {
        for loop in loops { loop.stop() }
        join()
    }

    /// Waits for every loop thread to finish.
    public func join() {
        for thread in threads { pthread_join(thread, nil) }
        threads.removeAll()
    }

    /// The number of online cores, at least 1. (Not the affinity mask: pin with `loops:` when
    /// running under taskset.)
    public static var availableCores: Int {
        let count = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        return max(1, count)
    }
}

private final class ThreadStart {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
