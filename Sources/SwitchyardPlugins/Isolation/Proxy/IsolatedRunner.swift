import CLinux
import CSwitchyardPlugin
import Synchronization
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The gateway's side of one isolated plugin entry (`isolation: process`): it starts the runner
/// process (`PluginRunner`, this executable re-run), supervises it on a thread of its own, and
/// carries the proxy tables' calls to it (`IsolatedRunner+Hooks`, the hooks; `+Frames`, the
/// frames both ways). One runner per entry, holding
/// the entry's one instance.
///
/// Supervision (docs/plugin-isolation.md): the runner's end (its process exiting, seen through
/// a pidfd, or EOF on its socket; then waitpid)
/// fails every call in flight at once with an error naming the plugin and how it ended; the log
/// says so once; the runner starts again after a backoff and gets its instance again from the
/// stored config; calls arriving meanwhile fail at once (retryable: a route's next provider
/// answers). Too many restarts in a window disable the plugin until a reload. A call not
/// answered within the hook timeout gets the runner SIGKILLed (a hung plugin cannot be
/// recovered) and fails with SY_E_TIMEOUT.
///
/// Threading: the supervisor thread reads the socket and the runner's stderr and completes calls;
/// any thread may call (`call`); the lifecycle state is guarded by `lock`.
public final class IsolatedRunner: @unchecked Sendable {  // mutable state guarded by `lock`
    /// The executable started as the runner: the image this process runs, which the kernel
    /// resolves through /proc/self/exe even after the file was replaced or deleted (an upgrade
    /// in place must not give a restarted runner another build).
    static let executable = "/proc/self/exe"
    /// The runner's argv[0]: the path the gateway was started from, so `ps` names it.
    static let displayName: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        return count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "switchyard"
    }()

    /// The runner's environment: the gateway's (plugins read secrets from it), with the Swift
    /// runtime's crash backtracer off unless SWIFT_BACKTRACE is set (as `validate`'s child): it
    /// would spend a second symbolizing a plugin's crash before the runner ends, and the signal
    /// is what the supervisor reports.
    private static let environment: [String] = {
        var entries: [String] = []
        var index = 0
        while let entry = environ[index] {
            entries.append(String(cString: entry))
            index += 1
        }
        return entries.contains { $0.hasPrefix("SWIFT_BACKTRACE=") } ? entries : entries + ["SWIFT_BACKTRACE=enable=no"]
    }()

    let entry: String
    let path: String
    let limits: Limits

    public struct Limits: Sendable {
        public var hookTimeoutNanoseconds: UInt64
        public var memoryBytes: Int
        public var maxRestarts: Int
        public var restartWindowNanoseconds: UInt64

        public init(hookTimeoutNanoseconds: UInt64, memoryBytes: Int, maxRestarts: Int, restartWindowNanoseconds: UInt64) {
            self.hookTimeoutNanoseconds = hookTimeoutNanoseconds
            self.memoryBytes = memoryBytes
            self.maxRestarts = maxRestarts
            self.restartWindowNanoseconds = restartWindowNanoseconds
        }
    }

    enum Phase {
        /// Spawned; no hello yet.
        case starting
        /// Hello received, no instance yet (the first load only: the loader creates it).
        case greeted
        /// The instance exists: calls go through.
        case ready
        /// Ended; starting again after the backoff. The message says how it ended.
        case restarting(String)
        /// Too many restarts: calls fail until a reload.
        case disabled(String)
        /// The first start failed (the load reports it), or `stop()` was called.
        case finished(String)
    }

    let lock = ConditionLock()
    var phase: Phase = .starting
    var pending: [UInt64: PendingCall] = [:]
    /// Counts runner processes: transformer states of an earlier one are gone.
    var generation: UInt64 = 0
    var channel: FrameChannel?
    var pid: pid_t = 0
    var hello: WireHello?
    /// The entry's config, once its instance exists (a restart creates it again from this).
    var config: [UInt8]?
    /// Set by the loader once the instance exists (logs and metrics are attributed to it).
    var host: HostInstance?
    /// Runner metric ids → the host's, for the current runner.
    var metricIDs: [UInt32: UInt32] = [:]
    /// The metrics the instance defined at load: all a restarted runner may define.
    var loadedMetrics: Set<MetricKey> = []
    struct MetricKey: Hashable {
        let kind: UInt32
        let name: [UInt8]
        let labels: [UInt8]
    }
    /// Why the current runner was killed, when the supervisor killed it (a hook timed out).
    var killedFor: (call: UInt64, hook: String)?
    var stopping = false
    /// Whether the current runner has said hello (once only).
    var runnerGreeted = false
    /// The runner's log lines this second: the supervisor thread's only (not guarded).
    var logBudget = LogBudget()
    let nextCall = Atomic<UInt64>(1)
    /// The proxy tables handed to the host, built once the instance exists.
    var providerTable: UnsafeMutablePointer<sy_provider_v1>?
    var guardrailTable: UnsafeMutablePointer<sy_guardrail_v1>?

    init(entry: String, path: String, limits: Limits) {
        self.entry = entry
        self.path = path
        self.limits = limits
        IsolationStats.register(entry)
    }

    /// Starts the runner and waits for its hello: the library's id, version, manifest, or why it
    /// could not be loaded (a crash while loading included).
    func start() -> Result<WireHello, StartFailure> {
        startDetachedThread { [self] in supervise() }
        return lock.withLock {
            while true {
                // The hello, even when the runner has ended since (a library that cannot be
                // loaded: the runner says why, then exits at once).
                if let hello { return .success(hello) }
                if case .finished(let message) = phase { return .failure(StartFailure(message: message)) }
                lock.wait()
            }
        }
    }

    /// Stops the runner (the instance is being freed); idempotent. The runner exits when its
    /// socket closes; the supervisor kills it if it does not. A runner being spawned meanwhile
    /// is stopped by the supervisor, which looks at `stopping` every round.
    func stop() {
        let channel = lock.withLock { () -> FrameChannel? in
            stopping = true
            lock.broadcast()
            return self.channel
        }
        channel?.shutdownBoth()
    }

    // MARK: supervision (the supervisor thread)

    private func supervise() {
        var policy = RestartPolicy(maxRestarts: limits.maxRestarts, windowNanoseconds: limits.restartWindowNanoseconds)
        while true {
            let startedAt = monotonicNanoseconds()
            let ending: String
            switch spawn() {
            case .failure(let failure):
                ending = failure.message
            case .success(let output):
                ending = pump(output: output)
                Glibc.close(output)
            }
            let now = monotonicNanoseconds()
            let (calls, killed, wasStopping, instantiated, greeted, ended) = lock.withLock {
                () -> ([UInt64: PendingCall], (call: UInt64, hook: String)?, Bool, Bool, Bool, FrameChannel?) in
                let calls = pending
                pending = [:]
                lock.broadcast()  // slots are free: waiting senders see the phase and give up
                let killed = killedFor
                killedFor = nil
                let ended = channel
                channel = nil
                pid = 0
                return (calls, killed, stopping, config != nil, hello != nil, ended)
            }
            // Outside `lock`: close waits for a writer, and writers never hold `lock`.
            ended?.close()
            let failure = crashFailure(ending, killed: killed)
            for (id, call) in calls {
                if let killed, killed.call == id {
                    call.complete(.failure(PluginFailure(
                        status: SY_E_TIMEOUT, httpStatus: 504, retryable: true,
                        message: "plugin \"\(entry)\" (isolated) did not return from \(killed.hook) within \(Self.seconds(limits.hookTimeoutNanoseconds)): its runner was killed and restarts")))
                } else {
                    call.complete(.failure(failure))
                }
            }
            if wasStopping {
                finish("stopped")
                return
            }
            guard instantiated else {
                // The first start: the load reports it (no restart: there is no instance to run).
                finish(greeted ? "the runner \(ending)" : "the runner \(ending) before the plugin was loaded")
                return
            }
            IsolationStats.crashed(entry, timedOut: killed != nil)
            switch policy.runnerEnded(startedAt: startedAt, now: now) {
            case .restart(let delay):
                let why = killed.map { "killed: \($0.hook) did not return within \(Self.seconds(limits.hookTimeoutNanoseconds))" } ?? ending
                log(SY_LOG_ERROR, "isolated plugin runner \(why); \(calls.count) call(s) failed; restarting in \(Self.seconds(delay))")
                lock.withLock { phase = .restarting(why) }
                let deadline = monotonicNanoseconds() &+ delay
                let stopped = lock.withLock { () -> Bool in
                    while !stopping, lock.wait(until: deadline) {}
                    return stopping
                }
                if stopped {
                    finish("stopped")
                    return
                }
                IsolationStats.restarted(entry)
            case .disable(let count):
                let message = "plugin \"\(entry)\" (isolated) is disabled: its runner ended \(count) times within \(Self.seconds(limits.restartWindowNanoseconds)) (isolation_limits.max_restarts \(limits.maxRestarts)); a config reload starts it again"
                log(SY_LOG_ERROR, message)
                IsolationStats.disabled(entry)
                lock.withLock {
                    phase = .disabled(message)
                    lock.broadcast()
                }
                return
            }
        }
    }

    private func finish(_ message: String) {
        lock.withLock {
            phase = .finished(message)
            lock.broadcast()
        }
        IsolationStats.unregister(entry)
    }

    private func crashFailure(_ ending: String, killed: (call: UInt64, hook: String)?) -> PluginFailure {
        if let killed {
            return PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true,
                                 message: "plugin \"\(entry)\" (isolated) was restarted: another call's \(killed.hook) did not return within \(Self.seconds(limits.hookTimeoutNanoseconds))")
        }
        return PluginFailure(status: SY_E_UPSTREAM, httpStatus: 502, retryable: true, message: "plugin \"\(entry)\" (isolated) \(ending)")
    }

    /// Starts a runner process; the read end of its stdout+stderr pipe, or why it did not start.
    struct StartFailure: Error { let message: String }

    private func spawn() -> Result<Int32, StartFailure> {
        var sockets: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0, &sockets) == 0 else {
            return .failure(StartFailure(message: "could not start: socketpair: \(String(cString: strerror(errno)))"))
        }
        var output: [Int32] = [-1, -1]
        guard pipe2(&output, O_CLOEXEC) == 0 else {
            Glibc.close(sockets[0]); Glibc.close(sockets[1])
            return .failure(StartFailure(message: "could not start: pipe: \(String(cString: strerror(errno)))"))
        }
        // The child's socket above 3, so the dup2 onto 3 really copies it (and drops CLOEXEC).
        var childSocket = sockets[1]
        if childSocket <= 3 {
            childSocket = fcntl(sockets[1], F_DUPFD_CLOEXEC, 4)
            Glibc.close(sockets[1])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childSocket, 3)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Default signal dispositions and no blocked signal: a crash ends the runner as it would
        // end a fresh process, whatever the gateway set up for itself.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = [Self.displayName, PluginRunner.command, "3", path, String(limits.memoryBytes), String(getpid())]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let envp = Self.environment.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        let spawned = posix_spawn(&child, Self.executable, &actions, &attributes, argv, envp)
        Glibc.close(childSocket)
        Glibc.close(output[1])
        guard spawned == 0 else {
            Glibc.close(sockets[0]); Glibc.close(output[0])
            return .failure(StartFailure(message: "could not start: \(Self.executable): \(String(cString: strerror(spawned)))"))
        }
        _ = fcntl(sockets[0], F_SETFL, fcntl(sockets[0], F_GETFL) | O_NONBLOCK)
        _ = fcntl(output[0], F_SETFL, fcntl(output[0], F_GETFL) | O_NONBLOCK)
        let created = FrameChannel(descriptor: sockets[0], maximumIncomingBytes: IsolationFrame.maximumReplyBytes)
        created.startWriter()
        lock.withLock {
            channel = created
            pid = child
            runnerGreeted = false
            generation += 1
            phase = .starting
        }
        return .success(output[0])
    }

    /// Serves one runner until it ends: frames from its socket, lines from its output, the hook
    /// deadlines. Returns how it ended ("crashed: Segmentation fault (signal 11)").
    private func pump(output: Int32) -> String {
        guard let (channel, child) = lock.withLock({ self.channel.map { ($0, pid) } }) else { return "could not start" }
        // The process's end, not the socket's, ends the runner: a process the plugin started may
        // hold the socket open after the runner died. A pidfd wakes the poll when it exits;
        // without one (kernel before 5.3) the poll wakes every 100 ms to look.
        let exitDescriptor = sy_pidfd_open(child)
        defer { if exitDescriptor >= 0 { Glibc.close(exitDescriptor) } }
        var outputOpen = true
        var lineBuffer: [UInt8] = []
        var ended = false
        var shutDown = false
        while !ended {
            if !shutDown, lock.withLock({ stopping }) {
                // A stop that came while this runner was being spawned: its EOF ends the
                // runner, and `reap` kills it a second later if it does not exit.
                shutDown = true
                channel.shutdownBoth()
            }
            let timeout = exitDescriptor >= 0 ? nextTimeout() : min(nextTimeout(), 100)
            var pollers = [pollfd(fd: channel.descriptor, events: Int16(POLLIN), revents: 0),
                           pollfd(fd: exitDescriptor, events: Int16(POLLIN), revents: 0)]  // a negative fd is skipped
            if outputOpen { pollers.append(pollfd(fd: output, events: Int16(POLLIN), revents: 0)) }
            let ready = poll(&pollers, nfds_t(pollers.count), timeout)
            if ready < 0 && errno != EINTR { break }
            if outputOpen && pollers.count > 2 && pollers[2].revents != 0 {
                outputOpen = readOutput(output, &lineBuffer)
            }
            let exited = Self.hasExited(child)
            if pollers[0].revents != 0 || exited {
                // After the exit: what the runner wrote before it is still read (its last replies).
                if exited { ended = true }
                // Bounded per round, so a runner flooding frames cannot keep the supervisor
                // from its deadlines (more after an exit: the last replies, then the end).
                var budget = exited ? Self.framesAfterExit : Self.framesPerRound
                receiving: while budget > 0 {
                    budget -= 1
                    switch channel.receive() {
                    case .frame(let frame):
                        if let why = handle(frame) {
                            log(SY_LOG_ERROR, "isolated plugin runner broke the protocol (\(why)); killing it")
                            killRunner()
                            ended = true
                            break receiving
                        }
                    case .wouldBlock: break receiving
                    case .end:
                        ended = true
                        break receiving
                    case .broken(let why):
                        log(SY_LOG_ERROR, "isolated plugin runner sent a broken frame (\(why)); killing it")
                        killRunner()
                        ended = true
                        break receiving
                    }
                }
            }
            checkDeadlines()
            reportSuppressed(logBudget.overdue(now: monotonicNanoseconds()))
        }
        if outputOpen {
            // Whatever the runner wrote last (a crash report) still goes to the log.
            _ = readOutput(output, &lineBuffer)
        }
        if !lineBuffer.isEmpty { log(SY_LOG_WARN, "runner output: " + String(decoding: lineBuffer, as: UTF8.self)) }
        return reap()
    }

    /// Whether the child has ended (it is not reaped here: `reap` collects its status).
    static func hasExited(_ child: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(child), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_signo != 0
    }

    /// Calls in flight to one runner: its pool's threads (see `send`).
    static let callsInFlight = PluginRunner.poolThreads

    static let framesPerRound = 256
    static let framesAfterExit = 4096
    static let outputBytesPerRound = 65536

    /// Milliseconds until the earliest hook deadline (at most 1 s, so a stop is noticed). Once a
    /// call's deadline got the runner killed, deadlines are past: the wait is for its exit.
    private func nextTimeout() -> Int32 {
        let now = monotonicNanoseconds()
        let earliest = lock.withLock { killedFor == nil ? pending.values.map(\.deadline).min() : nil }
        guard let earliest else { return 1000 }
        return earliest <= now ? 0 : Int32(min((earliest - now) / 1_000_000 + 1, 1000))
    }

    private func checkDeadlines() {
        let now = monotonicNanoseconds()
        let expired = lock.withLock { () -> Bool in
            guard killedFor == nil, let late = pending.min(by: { $0.value.deadline < $1.value.deadline }), late.value.deadline <= now else {
                return false
            }
            killedFor = (late.key, late.value.hook)
            return true
        }
        if expired { killRunner() }
    }

    func killRunner() {
        let child = lock.withLock { pid }
        if child > 0 { kill(child, SIGKILL) }
    }

    /// Lines the runner (the plugin) wrote to stdout or stderr go to the log, naming the plugin.
    /// False once the pipe is closed. At most `outputBytesPerRound` per call: the rest waits
    /// for the next round, after the deadlines were looked at.
    private func readOutput(_ descriptor: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 4096)
        var allowed = Self.outputBytesPerRound
        while allowed > 0 {
            allowed -= chunk.count
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 { return errno == EAGAIN || errno == EINTR }
            if count == 0 { return false }
            buffer += chunk[..<count]
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                logFromRunner(SY_LOG_WARN, requestID: nil, "runner output: " + String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
            }
            if buffer.count > 4096 {
                logFromRunner(SY_LOG_WARN, requestID: nil, "runner output: " + String(decoding: buffer, as: UTF8.self))
                buffer.removeAll()
            }
        }
        return true
    }

    /// Waits for the runner to end (its socket is closed already): it gets a second, then SIGKILL.
    private func reap() -> String {
        let child = lock.withLock { pid }
        guard child > 0 else { return "ended" }
        var status: Int32 = 0
        let patience = monotonicNanoseconds() &+ 1_000_000_000
        while true {
            let waited = waitpid(child, &status, WNOHANG)
            if waited == child { break }
            if waited < 0 && errno != EINTR { return "ended" }
            if monotonicNanoseconds() >= patience {
                kill(child, SIGKILL)
                _ = waitpid(child, &status, 0)
                break
            }
            usleep(5_000)
        }
        return RunnerExit.describe(waitStatus: status)
    }

    func log(_ level: UInt32, _ message: String) {
        HostLog.emit(pluginName: entry, requestID: nil, level: level, message)
    }

    static func seconds(_ nanoseconds: UInt64) -> String {
        if nanoseconds % 1_000_000_000 == 0 { return "\(nanoseconds / 1_000_000_000)s" }
        return "\(nanoseconds / 1_000_000)ms"
    }
}
