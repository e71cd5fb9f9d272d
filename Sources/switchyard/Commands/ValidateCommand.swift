import SwitchyardConfig
import SwitchyardGateway

/// `switchyard validate PATH`: the YAML, the cross-section rules, and every plugin loaded and
/// given its config, exactly as `serve` would, without listening.
enum ValidateCommand {
    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.count == 1 else {
            printError("usage: switchyard validate PATH")
            return 2
        }
        guard let config = ServeCommand.loadConfig(arguments[0]) else { return 1 }
        do {
            let plugins = try LoadedPlugins(config: config)
            print("\(arguments[0]): ok (\(plugins.instances.count) plugins, \(config.providers.count) providers, \(config.aliases.count) aliases)")
            return 0
        } catch {
            printError("switchyard: \(error)")
            return 1
        }
    }
}
