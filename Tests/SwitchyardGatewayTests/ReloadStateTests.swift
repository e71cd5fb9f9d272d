import Glibc
import Synchronization
import SwitchyardPosix
import Testing

@testable import SwitchyardGateway

@Suite("reload state: one at a time, none after shutdown")
struct ReloadStateTests {
    @Test("a second reload is refused while one runs, and numbers follow successes only")
    func oneAtATime() {
        let state = ReloadState()
        guard case .go(let first) = state.begin(waiting: false) else { Issue.record("first refused"); return }
        #expect(first == 2)
        guard case .busy = state.begin(waiting: false) else { Issue.record("second not refused"); return }
        state.end(installed: nil, error: "bad yaml")
        #expect(state.snapshot.failed == 1 && state.snapshot.lastError == "bad yaml" && state.snapshot.generation == 1)
        guard case .go(let again) = state.begin(waiting: false) else { Issue.record("refused after the end"); return }
        #expect(again == 2)
        state.end(installed: again, error: nil)
        let snapshot = state.snapshot
        #expect(snapshot.generation == 2 && snapshot.succeeded == 1 && snapshot.failed == 1 && snapshot.lastError == nil && !snapshot.running)
    }

    @Test("a waiting reload goes once the running one ends; stop refuses what comes after")
    func waitingAndStop() {
        let state = ReloadState()
        guard case .go = state.begin(waiting: false) else { Issue.record("first refused"); return }
        let waiter = ReloadWaiter()
        startDetachedThread {
            if case .go(let number) = state.begin(waiting: true) { waiter.number.store(number, ordering: .relaxed) }
            waiter.done.store(true, ordering: .releasing)
        }
        usleep(50_000)
        let early = waiter.done.load(ordering: .acquiring)
        #expect(!early, "the waiting reload went while another ran")
        state.end(installed: 2, error: nil)
        while !waiter.done.load(ordering: .acquiring) { usleep(1_000) }
        let number = waiter.number.load(ordering: .relaxed)
        #expect(number == 3)
        state.end(installed: 3, error: nil)
        state.stop()
        guard case .stopped = state.begin(waiting: true) else { Issue.record("a reload began after stop"); return }
    }

    @Test("at most one reload waits: later signals join it until it begins")
    func oneWaiter() {
        let state = ReloadState()
        guard case .go = state.begin(waiting: false) else { Issue.record("first refused"); return }
        #expect(state.queueWaiter())
        for _ in 0..<100 { #expect(!state.queueWaiter(), "a second waiter was let in") }
        let waiter = ReloadWaiter()
        startDetachedThread {
            if case .go(let number) = state.begin(waiting: true) { waiter.number.store(number, ordering: .relaxed) }
            waiter.done.store(true, ordering: .releasing)
        }
        usleep(20_000)
        #expect(!state.queueWaiter(), "let in while the queued one still waits")
        state.end(installed: 2, error: nil)
        while !waiter.done.load(ordering: .acquiring) { usleep(1_000) }
        #expect(waiter.number.load(ordering: .relaxed) == 3)
        // The waiter has begun (it may have read the config already): the next signal queues anew.
        #expect(state.queueWaiter())
        state.end(installed: 3, error: nil)
    }
}

private final class ReloadWaiter: Sendable {
    let number = Atomic<Int>(0)
    let done = Atomic<Bool>(false)
}
