import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard plugins validate`: runs every check of `ValidationCatalog` against one plugin,
/// clap-validator style, in child processes (this executable re-run with `childCommand`), so a
/// plugin that crashes or hangs is a reported failure, not the end of the report.
///
/// The parent starts a child at check 0; the child runs the checks in order and reports each
/// start and end on `ChildProcess.reportFD`. When the child dies (a signal) or stops reporting
/// for `timeoutSeconds` (it is then killed), the check it was running fails with the signal's
/// name or the timeout, and a new child continues with the next check.
///
/// Threading: `validate` blocks the calling thread until the last child has ended.
public enum PluginValidator {
    public static let childCommand = "__validate-plugin"

    /// Runs the checks of `options` (parent side) and returns every check's result, in order.
    /// `onResult` hears each result as soon as it is known (on the calling thread), for a report
    /// printed while the checks run.
    public static func validate(executable: String, options: ValidationOptions,
                                onResult: @escaping @Sendable (ValidationResult) -> Void = { _ in }) -> [ValidationResult] {
        let names = ValidationCatalog.checks.map(\.name)
        var results: [ValidationResult] = []
        var from = 0
        while from < names.count {
            let live = LiveProgress(onResult)
            var child = ChildProcess(executable: executable, arguments: [childCommand] + options.arguments(from: from))
            child.reports = true
            child.keptOutputBytes = keptOutputBytes
            // No Swift runtime backtrace (registers, frames of the validator): the crash's
            // message ends with what the plugin wrote last, its assert or panic text.
            child.environment["SWIFT_BACKTRACE"] = "enable=no"
            child.deadlineRestartsOnReport = true
            child.timeoutSeconds = options.timeoutSeconds
            child.onReport = { live.received($0) }
            let outcome = child.run()
            let progress = ValidationProgress.parse(outcome.reports)
            live.caughtUp(with: progress.finished)
            results += progress.finished
            // The child's own refusal (its fixtures, its arguments): no check can run.
            if let refused = ValidationProgress.validatorFailure(outcome.reports) {
                let failed = ValidationResult(name: "validator", verdict: .failed(refused))
                results.append(failed)
                onResult(failed)
                break
            }
            let ending = describe(outcome, timeoutSeconds: options.timeoutSeconds)
            if let running = progress.running, let index = names.firstIndex(of: running) {
                let crashed = ValidationResult(name: running, verdict: .failed(ending ?? "the validating process ended during this check"), warnings: progress.runningWarnings)
                results.append(crashed)
                onResult(crashed)
                from = index + 1
                continue
            }
            guard let ending else { break }
            // Ended outside any check: before the first, after the last, or between two.
            let next = from + progress.finished.count
            let between = !progress.finished.isEmpty && next < names.count
            let place = between ? "between \(names[next - 1]) and \(names[next])" : "outside any check"
            let failed = ValidationResult(name: "validator", verdict: .failed("\(ending) (\(place))"))
            results.append(failed)
            onResult(failed)
            // Checks remain and this child got through some: a new one goes on with the next.
            // (One that ended before its first check would end so again: stop.)
            guard between else { break }
            from = next
        }
        return results
    }

    /// One child's report bytes as they come: each check finished is passed on once.
    /// Touched only by the thread running the child (`ChildProcess.run` calls back on it).
    private final class LiveProgress: @unchecked Sendable {
        private let onResult: @Sendable (ValidationResult) -> Void
        private var bytes: [UInt8] = []
        private var told = 0

        init(_ onResult: @escaping @Sendable (ValidationResult) -> Void) { self.onResult = onResult }

        func received(_ chunk: [UInt8]) {
            bytes += chunk
            caughtUp(with: ValidationProgress.parse(bytes).finished)
        }

        /// Passes on the results in `finished` not passed on yet.
        func caughtUp(with finished: [ValidationResult]) {
            while told < finished.count {
                onResult(finished[told])
                told += 1
            }
        }
    }

    /// How a child ended, as a failure message; nil for a clean exit.
    static func describe(_ outcome: ChildProcess.Outcome, timeoutSeconds: Double) -> String? {
        switch outcome.ending {
        case .notStarted(let why): return why
        case .killed where outcome.timedOut:
            return "did not finish within \(timeoutSeconds) s (a hang; the validating process was killed)"
        case .killed(let signal):
            let text = strsignal(signal).map { String(cString: $0) } ?? "signal \(signal)"
            return "the plugin crashed the validating process: \(signalName(signal)) (\(text))" + lastWords(outcome.output)
        case .exited(0): return nil
        case .exited(2):  // runChild's own refusal; its reason is on the report channel
            return "the validating process refused to run the checks (exit status 2)" + lastWords(outcome.output)
        case .exited(let status):
            return "the validating process exited with status \(status) (the plugin called exit?)" + lastWords(outcome.output)
        }
    }

    /// The child's output kept (its stdout and stderr: the last 16 KiB).
    static let keptOutputBytes = 16 << 10
    /// The lines of it a crash's message ends with: an abort's or a panic's text is among them.
    static let lastWordsLines = 10

    /// The last lines the child wrote, each on a line of its own under the failure, or "".
    static func lastWords(_ output: [UInt8]) -> String {
        let lines = String(decoding: output, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .filter { !$0.allSatisfy(\.isWhitespace) }.suffix(lastWordsLines)
        guard !lines.isEmpty else { return "" }
        return "; its last output:" + lines.map { "\n        | \($0.prefix(300))" }.joined()
    }

    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(signal)"
        }
    }

    /// The child: runs the checks from `options.from` on, reporting each on the report
    /// descriptor (stdout when it is not open: run by hand). Returns the exit status.
    public static func runChild(options: ValidationOptions) -> Int32 {
        let fixtures: [UpstreamFixture]
        do { fixtures = try options.fixtures() } catch {
            report("fail\tvalidator\t\(ValidationProgress.clean("\(error)"))\n")
            return 2
        }
        // Plugin log lines below warnings would drown the output the parent keeps.
        HostServices.minimumLogLevel = 3
        let context = ValidationContext(path: options.path, configJSON: Array(options.config.utf8), seed: options.seed,
                                        fixtures: fixtures, hookTimeoutSeconds: min(options.timeoutSeconds / 2, 5))
        let checks = ValidationCatalog.checks
        for check in checks.dropFirst(options.from) {
            report(ValidationProgress.start(check.name))
            context.warnings = []
            _ = PluginHandles.refusals.take()
            var verdict = check.body(context)
            let refused = PluginHandles.refusals.take()
            if refused.count > 0, verdict == .passed {
                verdict = .failed("a handle used after its hook returned: \(refused.first ?? "") (\(refused.count) refused)")
            }
            for warning in context.warnings { report(ValidationProgress.warning(check.name, warning)) }
            report(ValidationProgress.end(ValidationResult(name: check.name, verdict: verdict)))
        }
        return 0
    }

    private static let reportsToDescriptor = fcntl(ChildProcess.reportFD, F_GETFD) >= 0

    private static func report(_ line: String) {
        var line = line
        let fd = reportsToDescriptor ? ChildProcess.reportFD : 1
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
