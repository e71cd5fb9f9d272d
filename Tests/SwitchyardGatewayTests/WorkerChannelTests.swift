import CSwitchyardPlugin
import Glibc
@testable import SwitchyardGateway
import SwitchyardPosix
import Synchronization
import Testing

/// The way a hook on a worker thread hands its output to the loop: in order, bounded, cancellable.
/// The loop side is driven from the test thread (`take`, `acknowledge`, `close`).
@Suite struct WorkerChannelTests {
    final class Statuses: Sendable {
        private let values = Mutex<[sy_status]>([])
        func append(_ status: sy_status) { values.withLock { $0.append(status) } }
        var all: [sy_status] { values.withLock { $0 } }
    }

    func write(_ channel: WorkerChannel, _ text: String, kind: UInt32 = SY_OUT_JSON) -> sy_status {
        Array(text.utf8).withUnsafeBytes { channel.pluginWrote(kind: kind, bytes: $0) }
    }

    func texts(_ events: [WorkerChannel.Event]) -> [String] {
        events.map { event in
            switch event {
            case .write(_, let bytes): String(decoding: bytes, as: UTF8.self)
            case .finish: "<finish>"
            }
        }
    }

    func eventually(_ condition: () -> Bool) -> Bool {
        for _ in 0..<2000 {
            if condition() { return true }
            usleep(1000)
        }
        return condition()
    }

    /// A worker thread running `body` (a hook writing to the channel).
    func worker(_ body: @escaping @Sendable () -> Void) -> WorkerPool {
        let pool = WorkerPool(threads: 1, queueCapacity: 0)
        _ = pool.submit(body)
        return pool
    }

    @Test func writesAndTheResultArriveInOrder() throws {
        let channel = WorkerChannel(loop: try EventLoop()) {}
        #expect(write(channel, "a") == SY_OK)
        #expect(write(channel, "b", kind: SY_OUT_META_JSON) == SY_OK)
        channel.finish {}
        #expect(write(channel, "c") == SY_OK)
        #expect(texts(channel.take()) == ["a", "b", "<finish>", "c"])
        #expect(channel.take().isEmpty)
    }

    @Test func aWriterWaitsWhileTheBoundIsInFlight() throws {
        let channel = WorkerChannel(loop: try EventLoop(), maxBytesInFlight: 10) {}
        let statuses = Statuses()
        let pool = worker { [self] in
            for text in ["123456", "abcdef", "ABCDEF"] { statuses.append(write(channel, text)) }
        }
        // Six bytes fit; the next six would make twelve: the worker waits for the loop.
        #expect(eventually { statuses.all.count == 1 })
        usleep(50_000)
        #expect(statuses.all.count == 1)
        #expect(texts(channel.take()) == ["123456"])
        usleep(20_000)
        #expect(statuses.all.count == 1)  // taken is not acknowledged: the client may be behind
        channel.acknowledge(6)
        #expect(eventually { statuses.all.count == 2 })
        channel.acknowledge(6)
        #expect(eventually { statuses.all.count == 3 })
        #expect(texts(channel.take()) == ["abcdef", "ABCDEF"])
        #expect(statuses.all == [SY_OK, SY_OK, SY_OK])
        pool.shutdown(waitingAtMost: 1_000_000_000)
    }

    @Test func aWriteLargerThanTheBoundPassesAlone() throws {
        let channel = WorkerChannel(loop: try EventLoop(), maxBytesInFlight: 4) {}
        #expect(write(channel, "0123456789") == SY_OK)
        #expect(texts(channel.take()) == ["0123456789"])
    }

    @Test func closingCancelsAWaitingWriterAndEverythingAfter() throws {
        let channel = WorkerChannel(loop: try EventLoop(), maxBytesInFlight: 4) {}
        let statuses = Statuses()
        let pool = worker { [self] in
            statuses.append(write(channel, "1234"))
            statuses.append(write(channel, "5678"))  // waits: the loop never acknowledges
        }
        #expect(eventually { statuses.all.count == 1 })
        channel.close()
        #expect(eventually { statuses.all.count == 2 })
        #expect(statuses.all == [SY_OK, SY_E_CANCELLED])
        #expect(channel.isClosed)
        #expect(write(channel, "x") == SY_E_CANCELLED)
        channel.finish { Issue.record("a closed channel's result must be dropped") }
        #expect(channel.take().isEmpty)  // queued output was dropped at close
        pool.shutdown(waitingAtMost: 1_000_000_000)
    }

    @Test func theLoopIsToldOncePerBatch() throws {
        let group = try EventLoopGroup(count: 1)
        let loop = group.loops[0]
        let notified = Atomic<Int>(0)
        let channel = WorkerChannel(loop: loop) { notified.add(1, ordering: .relaxed) }
        #expect(write(channel, "a") == SY_OK)
        #expect(write(channel, "b") == SY_OK)
        channel.finish {}
        group.start()
        #expect(eventually { notified.load(ordering: .relaxed) == 1 })
        #expect(channel.take().count == 3)
        #expect(write(channel, "c") == SY_OK)
        #expect(eventually { notified.load(ordering: .relaxed) == 2 })
        group.stopAndJoin()
    }
}

/// The watchdog's sampling, driven with explicit times (no thread).
@Suite struct HookWatchdogTests {
    let threshold: UInt64 = 50_000_000

    static func watched(_ plugins: [HookWatchdog.WatchedPlugin]) -> WatchedPlugins {
        let registry = WatchedPlugins()
        registry.append(plugins)
        return registry
    }

    func watchdog(_ watch: HookWatch) -> HookWatchdog {
        HookWatchdog(watches: [watch], plugins: Self.watched([.init(name: "slow", host: nil)]), threshold: threshold, log: GatewayLog(minimum: .error))
    }

    @Test func aHookSeenRunningPastTheThresholdIsFlaggedForItsOwnCall() {
        let watch = HookWatch()
        let dog = watchdog(watch)
        let mark = watch.enter(.generate, provider: HookWatch.tag(provider: 0))
        dog.sample(now: 1_000_000_000)
        dog.sample(now: 1_040_000_000)
        #expect(watch.flagged.load(ordering: .relaxed) == 0)  // 40 ms seen: not yet
        dog.sample(now: 1_050_000_000)
        #expect(watch.flagged.load(ordering: .relaxed) == mark)
        #expect(HookWatch.hook(of: mark) == .generate && HookWatch.provider(of: mark) == 0)
        #expect(watch.exit(mark))
        #expect(watch.elapsed(now: 3_000_000_000) == 2_000_000_000)
        // The next call is not taken for the flagged one.
        let next = watch.enter(.prepare, provider: HookWatch.tag(provider: 0))
        #expect(!watch.exit(next))
    }

    @Test func shortCallsInARowAreNotOneLongCall() {
        let watch = HookWatch()
        let dog = watchdog(watch)
        var now: UInt64 = 1_000_000_000
        for _ in 0..<10 {
            let mark = watch.enter(.data, provider: HookWatch.tag(provider: 0))
            dog.sample(now: now)
            now += 10_000_000
            #expect(!watch.exit(mark))
        }
        #expect(watch.flagged.load(ordering: .relaxed) == 0)
    }

    @Test func anIdleLoopIsNeverFlagged() {
        let watch = HookWatch()
        let dog = watchdog(watch)
        _ = watch.exit(watch.enter(.begin, provider: 0))
        dog.sample(now: 1_000_000_000)
        dog.sample(now: 9_000_000_000)
        #expect(watch.flagged.load(ordering: .relaxed) == 0)
    }
}
