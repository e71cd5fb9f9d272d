import Glibc
import Synchronization
import SwitchyardPosix
import Testing

/// The pool for blocking plugin hooks: bounded, ordered, and gone at shutdown.
@Suite struct WorkerPoolTests {
    /// A latch the test opens; jobs wait on it (polling: the tests must not depend on the pool's
    /// own locking to be correct).
    final class Gate: Sendable {
        private let open = Atomic<Bool>(false)
        func release() { open.store(true, ordering: .releasing) }
        func wait() { while !open.load(ordering: .acquiring) { usleep(1000) } }
    }

    final class Recorder: Sendable {
        private let values = Mutex<[Int]>([])
        func append(_ value: Int) { values.withLock { $0.append(value) } }
        var all: [Int] { values.withLock { $0 } }
    }

    /// Waits (at most 5 s) until `condition` holds.
    func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<5000 {
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    @Test func jobsStartInSubmissionOrder() {
        let pool = WorkerPool(threads: 1, queueCapacity: 100)
        let recorder = Recorder()
        for index in 0..<50 { #expect(pool.submit { recorder.append(index) }) }
        #expect(eventually { recorder.all.count == 50 })
        #expect(recorder.all == Array(0..<50))
        #expect(pool.shutdown(waitingAtMost: 1_000_000_000) == 0)
    }

    @Test func aFullPoolRefusesAtOnce() {
        let pool = WorkerPool(threads: 2, queueCapacity: 3)
        let gate = Gate()
        let recorder = Recorder()
        for index in 0..<5 { #expect(pool.submit { gate.wait(); recorder.append(index) }) }
        #expect(eventually { pool.load.running == 2 })
        #expect(pool.load.queued == 3)
        // Two running and three waiting: the sixth is refused without waiting for room.
        #expect(!pool.submit { recorder.append(99) })
        gate.release()
        #expect(eventually { recorder.all.count == 5 })
        #expect(!recorder.all.contains(99))
        // Room again once the jobs are done.
        #expect(pool.submit { recorder.append(6) })
        #expect(eventually { recorder.all.count == 6 })
        pool.shutdown(waitingAtMost: 1_000_000_000)
    }

    @Test func zeroQueueTakesOnlyWhatIdleThreadsCanStart() {
        let pool = WorkerPool(threads: 1, queueCapacity: 0)
        let gate = Gate()
        #expect(pool.submit { gate.wait() })
        #expect(eventually { pool.load.running == 1 })
        #expect(!pool.submit {})
        gate.release()
        #expect(eventually { pool.load.running == 0 })
        #expect(pool.submit {})
        pool.shutdown(waitingAtMost: 1_000_000_000)
    }

    @Test func shutdownDropsQueuedJobsWaitsForRunningOnesAndEndsEveryThread() {
        let pool = WorkerPool(threads: 2, queueCapacity: 4)
        let gate = Gate()
        let recorder = Recorder()
        for index in 0..<2 { #expect(pool.submit { gate.wait(); recorder.append(index) }) }
        #expect(eventually { pool.load.running == 2 })
        for index in 2..<5 { #expect(pool.submit { recorder.append(index) }) }
        let opener = Thread { usleep(100_000); gate.release() }
        // Waits for the two running jobs (released after 100 ms); the three queued never run.
        #expect(pool.shutdown(waitingAtMost: 5_000_000_000) == 0)
        opener.join()
        #expect(recorder.all.sorted() == [0, 1])
        #expect(!pool.submit { recorder.append(9) })
        #expect(pool.load.running == 0 && pool.load.queued == 0)
        #expect(pool.shutdown(waitingAtMost: 0) == 0)  // idempotent
    }

    @Test func shutdownAbandonsAJobThatDoesNotReturnInTime() {
        let pool = WorkerPool(threads: 2, queueCapacity: 0)
        let gate = Gate()
        #expect(pool.submit { gate.wait() })
        #expect(eventually { pool.load.running == 1 })
        // The idle thread ends; the one stuck in its job is detached and reported.
        #expect(pool.shutdown(waitingAtMost: 50_000_000) == 1)
        gate.release()
        #expect(eventually { pool.load.running == 0 })
    }

    /// A plain pthread for the tests.
    final class Thread: @unchecked Sendable {
        private var thread = pthread_t()
        init(_ body: @escaping @Sendable () -> Void) {
            final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
            let box = Unmanaged.passRetained(Box(body)).toOpaque()
            pthread_create(&thread, nil, { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, box)
        }
        func join() { pthread_join(thread, nil) }
    }
}
