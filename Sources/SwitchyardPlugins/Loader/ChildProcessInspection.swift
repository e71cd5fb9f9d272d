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
        var child = ChildProcess(executable: executable, arguments: arguments)
        child.timeoutSeconds = Double(timeoutSeconds)
        let outcome = child.run()
        var report = String(decoding: outcome.output, as: UTF8.self)
        if !report.isEmpty && !report.hasSuffix("\n") { report += "\n" }
        switch outcome.ending {
        case .notStarted(let why):
            return PluginInspection(report: "error: \(why)\n", succeeded: false, signal: nil)
        case .killed(let signal) where outcome.timedOut:
            return PluginInspection(report: report + "error: inspecting \(subject) did not finish within \(timeoutSeconds) s; the inspecting process was killed\n", succeeded: false, signal: signal)
        case .killed(let signal):
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            return PluginInspection(report: report + "error: the plugin crashed the inspecting process while loading \(subject): \(name) (signal \(signal))\n", succeeded: false, signal: signal)
        case .exited(let status):
            return PluginInspection(report: report, succeeded: status == 0, signal: nil)
        }
    }
}
