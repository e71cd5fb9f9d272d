import CLinux
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end under a deadline, for work that may crash or hang the process
/// doing it (loading an untrusted plugin runs its constructors): `plugins inspect` and
/// `validate` re-run the switchyard executable with a hidden command and read how it ended.
///
/// The child may get two pipes: `captureOutput` collects its stdout and stderr (in order);
/// `reports` collects what it writes to fd 3 (`ChildProcess.reportFD`), a channel for progress
/// that plugin output cannot mix into. The deadline counts from the start, and again from
/// each report when `deadlineRestartsOnReport` (a timeout per step instead of in total); a
/// child still running at the deadline is killed with SIGKILL.
///
/// The child leads a process group of its own, and the whole group is killed when the child
/// has ended or timed out: a helper process a plugin started dies with it, and cannot keep the
/// pipes open (reading stops once the child has ended, after what is buffered). A child command
/// calls `dieWithParent()` first, so a child never outlives a parent that was killed.
///
/// Threading: blocks the calling thread until the child has ended.
public struct ChildProcess: Sendable {
    /// The descriptor a child writes its reports to.
    public static let reportFD: Int32 = 3

    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case killed(signal: Int32)
        /// posix_spawn or a pipe failed; the message says which and why.
        case notStarted(String)
    }

    public struct Outcome: Sendable {
        public var ending: Ending
        /// Killed at the deadline (`ending` is then `.killed(signal: SIGKILL)`).
        public var timedOut: Bool
        public var output: [UInt8]
        public var reports: [UInt8]
    }

    public var executable: String
    public var arguments: [String]
    /// Set (or replace) in the child's environment; everything else is inherited.
    public var environment: [String: String] = [:]
    public var captureOutput = true
    /// Of what the child writes to stdout and stderr, the last this many bytes are kept (its
    /// last words are what tell why it died; a plugin printing in a loop must not fill memory).
    public var keptOutputBytes = 1 << 20
    public var reports = false
    public var timeoutSeconds: Double = 30
    public var deadlineRestartsOnReport = false
    /// Called with each piece of report bytes as it arrives (on the thread running `run`, before
    /// it returns), for a caller that shows progress while the child runs.
    public var onReport: (@Sendable ([UInt8]) -> Void)?

    /// Set in the child's environment: the parent's pid, which `dieWithParent()` checks.
    static let parentVariable = "SWITCHYARD_CHILD_OF"

    /// Called first by a child command: SIGKILL when the parent dies (a hanging plugin does not
    /// outlive a killed `plugins validate`); exits at once when the parent is gone already.
    public static func dieWithParent() {
        _ = sy_set_parent_death_signal(SIGKILL)
        guard let value = getenv(parentVariable), let parent = Int32(String(cString: value)) else { return }
        if getppid() != parent { _exit(1) }
    }

    public init(executable: String, arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    public func run() -> Outcome {
        var output = Pipe(), report = Pipe()
        defer { output.closeBoth(); report.closeBoth() }
        if captureOutput, let error = output.open() { return Outcome(ending: .notStarted(error), timedOut: false, output: [], reports: []) }
        if reports, let error = report.open(above: Self.reportFD) { return Outcome(ending: .notStarted(error), timedOut: false, output: [], reports: []) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears O_CLOEXEC on the copies: the child keeps exactly these descriptors.
        if captureOutput {
            posix_spawn_file_actions_adddup2(&actions, output.write, 1)
            posix_spawn_file_actions_adddup2(&actions, output.write, 2)
        }
        if reports { posix_spawn_file_actions_adddup2(&actions, report.write, Self.reportFD) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = childEnvironment().map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        // The child starts with no signal blocked and every signal at its default action, so
        // a crash ends it the way it would end a fresh process, whatever this one has set up.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)  // its own group, led by it: killed as one
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        output.closeWrite()
        report.closeWrite()
        guard spawned == 0 else {
            return Outcome(ending: .notStarted("cannot start \(executable): \(String(cString: strerror(spawned)))"), timedOut: false, output: [], reports: [])
        }
        var outcome = Outcome(ending: .exited(0), timedOut: false, output: [], reports: [])
        outcome.timedOut = readUntilEnd(output: output.read, report: report.read, pid: pid, into: &outcome)
        keepOutputTail(&outcome)
        // Both pipes may close before the child ends (a plugin that closes every descriptor and
        // then hangs): the exit is awaited under the same deadline.
        let exitDeadline = monotonicNanoseconds() &+ UInt64(timeoutSeconds * 1_000_000_000)
        while !outcome.timedOut && !Self.hasEnded(pid) {
            if monotonicNanoseconds() >= exitDeadline {
                outcome.timedOut = true
                break
            }
            usleep(10_000)
        }
        // The child is a zombie or still running (timed out), so its pid and group id are not
        // reused yet: the group goes, helpers included, then the child is reaped.
        kill(-pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7F
        outcome.ending = signal != 0 ? .killed(signal: signal) : .exited((status >> 8) & 0xFF)
        return outcome
    }

    private func childEnvironment() -> [String] {
        var entries: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if environment[name] == nil { entries.append(text) }
            index += 1
        }
        var settings = environment
        settings[Self.parentVariable] = String(getpid())
        entries.removeAll { $0.hasPrefix(Self.parentVariable + "=") }
        return entries + settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// Report bytes kept (progress lines are short; more is a plugin writing where it should not).
    static let maxReportBytes = 64 * 1024

    /// True once the child has ended; it is left unreaped (WNOWAIT), so its pid stays its own.
    static func hasEnded(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        while true {
            let waited = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if waited == 0 { return info._sifields._sigchld.si_pid == pid }
            if errno != EINTR { return true }  // no such child: nothing to wait for
        }
    }

    /// Reads both pipes until they reach EOF or the child has ended (then what they hold is
    /// read, and no more: a process the child left behind may keep them open); true when the
    /// deadline came first with the child still running.
    private func readUntilEnd(output: Int32, report: Int32, pid: pid_t, into outcome: inout Outcome) -> Bool {
        var open = [output, report].filter { $0 >= 0 }
        var chunk = [UInt8](repeating: 0, count: 4096)
        let timeout = Int64(timeoutSeconds * 1_000_000_000)
        var deadline = Int64(monotonicNanoseconds()) + timeout
        var ended = false
        var droppedReportBytes = 0
        while !open.isEmpty {
            if !ended && Self.hasEnded(pid) {
                // Its helpers go now: one that keeps writing could keep this loop reading.
                ended = true
                kill(-pid, SIGKILL)
            }
            let remaining = deadline - Int64(monotonicNanoseconds())
            if remaining <= 0 && !ended { return true }
            var pollers = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            // Once the child has ended only what is buffered is read: no waiting.
            let wait = ended ? 0 : Int32(min(remaining / 1_000_000 + 1, 100))
            let ready = poll(&pollers, nfds_t(pollers.count), wait)
            if ready < 0 && errno != EINTR { return false }
            if ready == 0 && ended { return false }
            for poller in pollers where poller.revents != 0 {
                let count = read(poller.fd, &chunk, chunk.count)
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if count <= 0 {
                    open.removeAll { $0 == poller.fd }
                } else if poller.fd == report {
                    // A complete line is progress: it restarts the deadline, also past the bound
                    // on what is kept (a check that goes on reporting is not a hang). Bytes past
                    // the bound are dropped: a plugin scribbling there cannot fill memory.
                    // Past a second bound (16 times the kept one) nothing restarts it: a child
                    // writing lines in a loop is killed at the deadline all the same.
                    if deadlineRestartsOnReport && droppedReportBytes < 16 * Self.maxReportBytes
                        && chunk[..<count].contains(UInt8(ascii: "\n")) {
                        deadline = Int64(monotonicNanoseconds()) + timeout
                    }
                    guard outcome.reports.count < Self.maxReportBytes else {
                        droppedReportBytes += count
                        continue
                    }
                    outcome.reports += chunk[..<count]
                    onReport?(Array(chunk[..<count]))
                } else {
                    outcome.output += chunk[..<count]
                    // Trimmed at twice the bound, so each byte is moved a bounded number of times.
                    if outcome.output.count > 2 * keptOutputBytes { keepOutputTail(&outcome) }
                }
            }
        }
        return false
    }

    private func keepOutputTail(_ outcome: inout Outcome) {
        if outcome.output.count > keptOutputBytes { outcome.output.removeFirst(outcome.output.count - keptOutputBytes) }
    }

    /// A close-on-exec pipe (no other child spawned meanwhile inherits it).
    private struct Pipe {
        var read: Int32 = -1
        var write: Int32 = -1

        /// Opens it; the write end at a descriptor above `minimum`, so that dup2 onto `minimum`
        /// in the child really copies it (a dup2 onto itself would keep O_CLOEXEC).
        mutating func open(above minimum: Int32 = 2) -> String? {
            var fds: [Int32] = [-1, -1]
            guard pipe(&fds) == 0 else { return "pipe: \(String(cString: strerror(errno)))" }
            (read, write) = (fds[0], fds[1])
            // Before any spawn: this process spawns its children from one thread.
            guard fcntl(read, F_SETFD, FD_CLOEXEC) == 0, fcntl(write, F_SETFD, FD_CLOEXEC) == 0 else {
                return "fcntl: \(String(cString: strerror(errno)))"
            }
            if write <= minimum {
                let moved = fcntl(write, F_DUPFD_CLOEXEC, minimum + 1)
                guard moved >= 0 else { return "fcntl: \(String(cString: strerror(errno)))" }
                close(write)
                write = moved
            }
            return nil
        }

        mutating func closeWrite() {
            if write >= 0 { close(write) }
            write = -1
        }

        mutating func closeBoth() {
            closeWrite()
            if read >= 0 { close(read) }
            read = -1
        }
    }
}
