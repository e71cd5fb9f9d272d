import SwitchyardConfig
import SwitchyardPlugins
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard validate` loads every plugin as `serve` would (dlopen, negotiation, the config
/// schema, `instance_new` with the entry's config, the provider interfaces, `instance_free`),
/// but in a child process: a plugin that crashes or hangs there cannot take `validate` down,
/// and the report names it.
///
/// One child loads all the plugins, in config order, as `serve` does in one process (so what
/// plugins do to each other at load time is seen too, and the cost is one exec, not one per
/// plugin). Before each step the child writes a line to its report descriptor (fd 3), which
/// plugin output cannot mix into; when the child dies, the last line names the plugin and the
/// step. Each step has its own deadline (`timeoutSeconds`), restarted by every line.
///
/// Report lines: `library NAME`, `instance NAME`, `provider NAME`, `guardrail NAME`,
/// `enricher NAME`, `batch_preparer NAME`, `free NAME`, then `ok`, or
/// `error MESSAGE` (the rest of the stream) when loading failed cleanly.
public enum PluginLoadCheck {
    /// The hidden subcommand the child runs: `switchyard __validate-plugins CONFIG`.
    public static let childCommand = "__validate-plugins"

    public struct Outcome: Sendable {
        /// nil when every plugin loaded and was freed; otherwise the error, one or more lines.
        public var error: String?
        public var instances: Int
    }

    // MARK: in the child

    /// Loads every plugin of `config` here, reporting each step on `reportFD`; returns the exit status.
    public static func runHere(config: GatewayConfig, reportFD: Int32 = ChildProcess.reportFD) -> Int32 {
        let plugins: LoadedPlugins
        do {
            plugins = try LoadedPlugins(config: config) { step in
                switch step {
                case .library(let name): report("library \(name)", to: reportFD)
                case .instance(let name): report("instance \(name)", to: reportFD)
                case .provider(let name): report("provider \(name)", to: reportFD)
                case .guardrail(let name): report("guardrail \(name)", to: reportFD)
                case .enricher(let name): report("enricher \(name)", to: reportFD)
                case .batchPreparer(let name): report("batch_preparer \(name)", to: reportFD)
                }
            }
        } catch {
            report("error \(error)", to: reportFD)
            return 1
        }
        for entry in config.plugins {
            report("free \(entry.name)", to: reportFD)
            plugins.instances[entry.name]?.shutdown()
        }
        report("ok \(plugins.instances.count)", to: reportFD)
        return 0
    }

    /// Reports that the child could not read the config (it changed since the parent read it).
    public static func reportError(_ message: String, reportFD: Int32 = ChildProcess.reportFD) {
        report("error \(message)", to: reportFD)
    }

    private static func report(_ line: String, to fd: Int32) {
        var bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
    }

    // MARK: in the parent

    /// Runs `executable arguments...` (the switchyard binary with `childCommand` and the config
    /// path) and says how loading `config`'s plugins went there. The child's own stdout and
    /// stderr (plugin log lines) pass through.
    public static func inChildProcess(config: GatewayConfig, executable: String, arguments: [String], timeoutSeconds: Double = 30) -> Outcome {
        var child = ChildProcess(executable: executable, arguments: arguments)
        child.captureOutput = false
        child.reports = true
        child.timeoutSeconds = timeoutSeconds
        child.deadlineRestartsOnReport = true
        // A crash is reported here in one line; the Swift runtime's backtrace of the child
        // (registers, images) would bury it. Set SWIFT_BACKTRACE to see it anyway.
        if getenv("SWIFT_BACKTRACE") == nil { child.environment["SWIFT_BACKTRACE"] = "enable=no" }
        let result = child.run()
        return outcome(of: result, config: config, timeoutSeconds: timeoutSeconds)
    }

    /// Reads the child's report and its ending into an outcome.
    static func outcome(of result: ChildProcess.Outcome, config: GatewayConfig, timeoutSeconds: Double) -> Outcome {
        let text = String(decoding: result.reports, as: UTF8.self)
        let errorStart = text.hasPrefix("error ") ? text.startIndex : text.firstRange(of: "\nerror ").map { text.index(after: $0.lowerBound) }
        if let errorStart {
            var message = String(text[errorStart...].dropFirst("error ".count))
            if message.hasSuffix("\n") { message.removeLast() }
            return Outcome(error: message, instances: 0)
        }
        let lines = text.split(separator: "\n").map(String.init)
        if case .exited(0) = result.ending, let last = lines.last, last.hasPrefix("ok ") {
            return Outcome(error: nil, instances: Int(last.dropFirst(3)) ?? 0)
        }
        let doing = lines.last.flatMap { step(of: $0, config: config) }
        let what: String
        switch result.ending {
        case .notStarted(let why):
            return Outcome(error: "cannot check the plugins: \(why)", instances: 0)
        case .killed where result.timedOut:
            what = "did not finish \(doing?.action ?? "loading") within \(seconds(timeoutSeconds)); the validating process was killed"
        case .killed(let signal):
            let description = strsignal(signal).map { " (\(String(cString: $0)))" } ?? ""
            what = "crashed the validating process with \(Signals.name(signal))\(description) while \(doing?.action ?? "loading plugins")"
        case .exited(let status):
            what = "ended the validating process (exit status \(status)) while \(doing?.action ?? "loading plugins")"
        }
        guard let doing else {
            let after = lines.last?.hasPrefix("ok") == true ? "after every plugin had loaded and been freed" : "before it loaded any plugin"
            return Outcome(error: "\(config.sourceName): a plugin \(what) (\(after))", instances: 0)
        }
        return Outcome(error: "\(doing.subject): \(what)", instances: 0)
    }

    /// The step a report line names: who (with its config location) and what it was doing.
    private static func step(of line: String, config: GatewayConfig) -> (subject: String, action: String)? {
        let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        let name = parts[1]
        if parts[0] == "provider", let provider = config.providers.first(where: { $0.name == name }) {
            let path = config.plugins.first(where: { $0.name == provider.plugin })?.path ?? "?"
            return ("\(provider.location): provider \"\(name)\" (plugin \"\(provider.plugin)\", \(path))", "looking up its provider interface (get_interface)")
        }
        if parts[0] == "guardrail", let guardrail = config.guardrails.first(where: { $0.name == name }) {
            let path = config.plugins.first(where: { $0.name == guardrail.plugin })?.path ?? "?"
            return ("\(guardrail.location): guardrail \"\(name)\" (plugin \"\(guardrail.plugin)\", \(path))", "looking up its guardrail interface (get_interface)")
        }
        if parts[0] == "enricher", let enricher = config.enrichers.first(where: { $0.name == name }) {
            let path = config.plugins.first(where: { $0.name == enricher.plugin })?.path ?? "?"
            return ("\(enricher.location): enricher \"\(name)\" (plugin \"\(enricher.plugin)\", \(path))", "looking up its enricher interface (get_interface)")
        }
        if parts[0] == "batch_preparer", let preparer = config.batchPreparers.first(where: { $0.name == name }) {
            let path = config.plugins.first(where: { $0.name == preparer.plugin })?.path ?? "?"
            return ("\(preparer.location): batch preparer \"\(name)\" (plugin \"\(preparer.plugin)\", \(path))", "looking up its batch interface (get_interface)")
        }
        guard let entry = config.plugins.first(where: { $0.name == name }) else { return nil }
        let subject = "\(entry.location): plugin \"\(name)\" (\(entry.path))"
        switch parts[0] {
        case "library": return (subject, "loading the library (its constructors, then sy_plugin_entry)")
        case "instance": return (subject, "creating its instance (instance_new)")
        case "free": return (subject, "freeing its instance (instance_free)")
        default: return nil
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
