#if canImport(Glibc)
import Glibc
#endif

/// The outcome of inspecting a plugin in a child process.
public struct PluginInspection: Sendable, Equatable {
    /// What the child printed (stdout and stderr, in order), plus a line explaining a crash,
    /// a timeout or a failure to start.
    public let report: String
    /// True when the child exited with status 0.
    public let succeeded: Bool
    /// The signal that killed the child, if one did.
    public let signal: Int32?
}

extension PluginInspector {
    /// Runs `executable __inspect-plugin path` (the switchyard binary's hidden subcommand, which
    /// calls `inspect` and prints the report) and returns what it printed. A plugin that
    /// crashes or hangs in its constructors cannot take the caller down: a crash is reported
    /// with its signal, and a child still running after `timeoutSeconds` is killed.
    public static func inspectInChildProcess(executable: String, path: String, timeoutSeconds: Int = 30) -> PluginInspection {
        inspectInChildProcess(executable: executable, arguments: [childCommand, path], timeoutSeconds: timeoutSeconds)
    }

    /// Runs `executable arguments...` as above; the last argument is taken as the plugin path
    /// for messages.
    public static func inspectInChildProcess(executable: String, arguments: [String], timeoutSeconds: Int = 30) -> PluginInspection {
        let subject = arguments.last ?? executable
        var pipeFDs: [Int32] = [-1, -1]
        // Close-on-exec, so no other child spawned meanwhile inherits the pipe and holds it open.
        guard pipe(&pipeFDs) == 0, fcntl(pipeFDs[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(pipeFDs[1], F_SETFD, FD_CLOEXEC) == 0 else {
            return PluginInspection(report: "error: pipe: \(String(cString: strerror(errno)))\n", succeeded: false, signal: nil)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 clears O_CLOEXEC on the copies, so the child keeps exactly fds 1 and 2.
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(pipeFDs[1])
        guard spawned == 0 else {
            close(pipeFDs[0])
            return PluginInspection(report: "error: cannot start \(executable): \(String(cString: strerror(spawned)))\n", succeeded: false, signal: nil)
        }
        let (output, timedOut) = readAll(pipeFDs[0], pid: pid, timeoutSeconds: timeoutSeconds)
        close(pipeFDs[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}

        var report = String(decoding: output, as: UTF8.self)
        if !report.isEmpty && !report.hasSuffix("\n") { report += "\n" }
        let signal = status & 0x7F
        if timedOut {
            return PluginInspection(report: report + "error: inspecting \(subject) did not finish within \(timeoutSeconds) s; the inspecting process was killed\n", succeeded: false, signal: signal == 0 ? nil : signal)
        }
        if signal != 0 {
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            return PluginInspection(report: report + "error: the plugin crashed the inspecting process while loading \(subject): \(name) (signal \(signal))\n", succeeded: false, signal: signal)
        }
        return PluginInspection(report: report, succeeded: (status >> 8) & 0xFF == 0, signal: nil)
    }

    /// Reads the child's output until EOF; after the deadline the child is killed (SIGKILL)
    /// and reading stops. Bounded in time by `timeoutSeconds`.
    private static func readAll(_ fd: Int32, pid: pid_t, timeoutSeconds: Int) -> (output: [UInt8], timedOut: Bool) {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let deadline = Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000 + timeoutSeconds * 1000
        while true {
            clock_gettime(CLOCK_MONOTONIC, &now)
            let remaining = deadline - (Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000)
            guard remaining > 0 else {
                kill(pid, SIGKILL)
                return (output, true)
            }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1000)))
            if ready < 0 && errno != EINTR { return (output, false) }
            if ready <= 0 { continue }
            let count = read(fd, &chunk, chunk.count)
            if count == 0 { return (output, false) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return (output, false)
            }
            output += chunk[..<count]
        }
    }
}
