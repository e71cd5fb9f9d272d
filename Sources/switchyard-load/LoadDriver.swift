import CLinux
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// Drives load on one event loop and collects latencies.
///
/// - sequential: one connection, the next request as soon as the last completes (closed loop,
///   for added latency at concurrency 1); latency from the actual send.
/// - open: requests at a constant arrival rate over a pool of connections, latency measured from
///   each request's *intended* send time, so a stalled server is charged for the requests it
///   delayed (no coordinated omission). A timerfd with absolute deadlines wakes the loop at the
///   next intended time with nanosecond resolution.
final class LoadDriver: IOHandler {
    struct Plan {
        var host: String
        var port: UInt16
        var request: [UInt8]
        var connections: Int
        var rate: Double          // 0 = sequential
        var count: Int            // sequential: number of requests
        var duration: UInt64      // open: nanoseconds
        var warmup: Int
    }

    let plan: Plan
    let loop: EventLoop
    var latency = Histogram()
    var firstChunk = Histogram()
    var chunkGap = Histogram()
    var errors = 0
    var badStatus = 0
    var completed = 0
    var firstError: String?

    private var idle: [LoadConnection] = []
    private var all: [LoadConnection] = []
    private var backlog: [UInt64] = []   // intended send times waiting for a free connection
    private var lastChunkAt: [ObjectIdentifier: UInt64] = [:]
    private var sentAt: [ObjectIdentifier: UInt64] = [:]
    private var started: UInt64 = 0
    private var nextIntended: UInt64 = 0
    private var issued = 0
    private var timerFD: Int32 = -1
    private var finished = false
    private(set) var elapsed: UInt64 = 0

    init(plan: Plan, loop: EventLoop) {
        self.plan = plan
        self.loop = loop
    }

    func start() throws {
        for _ in 0..<max(1, plan.connections) {
            let connection = try LoadConnection(loop: loop, host: plan.host, port: plan.port)
            connection.onChunk = { [unowned self] in chunk($0, at: $1) }
            connection.onDone = { [unowned self] in done($0, status: $1, at: $2) }
            connection.onError = { [unowned self] connection, message in
                errors += 1
                if firstError == nil { firstError = message }
                all.removeAll { $0 === connection }
                if all.isEmpty { finish() } else { done(connection, status: -1, at: monotonicNanoseconds(), dead: true) }
            }
            all.append(connection)
            idle.append(connection)
        }
        started = monotonicNanoseconds()
        if plan.rate > 0 {
            timerFD = timerfd_create(CLOCK_MONOTONIC, Int32(TFD_NONBLOCK | TFD_CLOEXEC))
            try loop.register(fd: timerFD, events: [.readable], handler: self)
            nextIntended = started
            tick()
        } else {
            sendNext(at: monotonicNanoseconds())
        }
    }

    // The open-loop timer.
    func handleIO(fd: Int32, events: IOEvents) {
        var expirations: UInt64 = 0
        _ = read(fd, &expirations, 8)
        tick()
    }

    private func tick() {
        let now = monotonicNanoseconds()
        let interval = UInt64(1_000_000_000 / plan.rate)
        while nextIntended <= now && nextIntended < started + plan.duration {
            backlog.append(nextIntended)
            nextIntended += interval
        }
        drainBacklog()
        if nextIntended >= started + plan.duration {
            if backlog.isEmpty && idle.count == all.count { finish() }
            return
        }
        var spec = itimerspec()
        spec.it_value.tv_sec = Int(nextIntended / 1_000_000_000)
        spec.it_value.tv_nsec = Int(nextIntended % 1_000_000_000)
        timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &spec, nil)
    }

    private func drainBacklog() {
        while !backlog.isEmpty, let connection = idle.popLast() {
            let intended = backlog.removeFirst()
            issue(on: connection, intended: intended)
        }
    }

    private func sendNext(at now: UInt64) {
        guard issued < plan.count + plan.warmup, let connection = idle.popLast() else { return }
        issue(on: connection, intended: now)
    }

    private func issue(on connection: LoadConnection, intended: UInt64) {
        issued += 1
        let id = ObjectIdentifier(connection)
        sentAt[id] = intended
        lastChunkAt[id] = nil
        connection.send(plan.request, intendedAt: intended)
    }

    private func chunk(_ connection: LoadConnection, at now: UInt64) {
        let id = ObjectIdentifier(connection)
        guard measuring else { return }
        if let last = lastChunkAt[id] { chunkGap.record(now - last) } else { firstChunk.record(now - (sentAt[id] ?? now)) }
        lastChunkAt[id] = now
    }

    private var measuring: Bool { issued > plan.warmup || plan.rate > 0 }

    private func done(_ connection: LoadConnection, status: Int, at now: UInt64, dead: Bool = false) {
        let id = ObjectIdentifier(connection)
        if !dead {
            if measuring || plan.rate > 0 {
                latency.record(now - (sentAt[id] ?? now))
                if status != 200 { badStatus += 1 }
            }
            completed += 1
            idle.append(connection)
        }
        if plan.rate > 0 {
            drainBacklog()
            if nextIntended >= started + plan.duration && backlog.isEmpty && idle.count == all.count { finish() }
        } else if issued < plan.count + plan.warmup {
            sendNext(at: now)
        } else if idle.count == all.count {
            finish()
        }
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        elapsed = monotonicNanoseconds() - started
        loop.stop()
    }
}
