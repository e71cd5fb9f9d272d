import SwitchyardConfig
import SwitchyardGateway

/// `switchyard validate [--plugin-timeout SECONDS] PATH`: the YAML, the cross-section rules, and
/// every plugin loaded and given its config exactly as `serve` would, without listening.
///
/// The plugins are loaded in a child process (this executable re-run with a hidden command,
/// `PluginLoadCheck`): a plugin that crashes there (a segfault in a constructor) or hangs
/// (each step gets `--plugin-timeout`, default 30 s) is reported by config entry, file and
/// signal, and `validate` exits 1 instead of dying with it.
enum ValidateCommand {
    static let usage = "usage: switchyard validate [--plugin-timeout SECONDS] PATH"

    static func run(_ arguments: [String]) -> Int32 {
        var timeout = 30.0
        var path: String?
        var index = 0
        while index < arguments.count {
            if arguments[index] == "--plugin-timeout" {
                guard index + 1 < arguments.count, let seconds = Double(arguments[index + 1]), seconds > 0, seconds <= 86_400 else {
                    printError("validate: --plugin-timeout needs a number of seconds from 0 to 86400\n\(usage)")
                    return 2
                }
                timeout = seconds
                index += 2
            } else if path == nil, !arguments[index].hasPrefix("-") || arguments[index] == "-" {
                path = arguments[index]
                index += 1
            } else {
                printError(usage)
                return 2
            }
        }
        guard let path else {
            printError(usage)
            return 2
        }
        guard let config = ServeCommand.loadConfig(path) else { return 1 }
        let outcome = PluginLoadCheck.inChildProcess(
            config: config, executable: executablePath(), arguments: [PluginLoadCheck.childCommand, path], timeoutSeconds: timeout)
        if let error = outcome.error {
            printError("switchyard: \(error)")
            return 1
        }
        // Enrichers and batch preparers are named only when there are some (the line keeps its
        // shape without them). The built-in preparer and its plugin, added when the file has no
        // `batch_preparers:` section (the plugin entry has no line), are not the file's.
        let enrichers = config.enrichers.isEmpty ? "" : ", \(config.enrichers.count) enrichers"
        let builtIn = config.plugins.filter { $0.name == BatchPreparerEntry.builtInPlugin && $0.location.line == 0 }.count
        let preparers = config.batchPreparers.isEmpty || builtIn > 0 ? "" : ", \(config.batchPreparers.count) batch preparers"
        print("\(path): ok (\(outcome.instances - builtIn) plugins, \(config.providers.count) providers, \(config.guardrails.count) guardrails\(enrichers)\(preparers), \(config.aliases.count) aliases)")
        return 0
    }

    /// Runs in the child: read the config again (same file, same environment) and load every
    /// plugin, reporting each step on fd 3.
    static func loadPluginsHere(_ arguments: [String]) -> Int32 {
        guard arguments.count == 1 else { return 2 }
        do {
            let config = try ConfigLoader.load(path: arguments[0], environment: .switchyard)
            return PluginLoadCheck.runHere(config: config)
        } catch {
            PluginLoadCheck.reportError("\(error)")
            return 1
        }
    }
}
