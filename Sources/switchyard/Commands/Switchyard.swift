import SwitchyardGateway
import SwitchyardPlugins
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard <command> ...`: every command returns the process exit status.
enum Switchyard {
    static let version = "0.1.0"

    static let usage = """
        switchyard \(version): an AI gateway (OpenAI-compatible API in front of plugin providers)

        usage:
          switchyard serve [--config PATH]     serve (default: the embedded config/switchyard.yaml)
          switchyard validate [--plugin-timeout SECONDS] PATH
                                               check a config: YAML, rules, plugins load (in a child process)
                                               and accept their config
          switchyard plugins inspect PATH.so   print a plugin's manifest, ABI and interfaces (loaded in a child process)
          switchyard plugins validate PATH.so [--config JSON] [--seed N] [--timeout SECONDS] [--fixture FILE]...
                                               exercise a plugin through every hook it has (in child processes) and
                                               report each check; exit 1 on any failure (docs/plugin-validator.md)
          switchyard print-default-config      print the embedded default config
          switchyard version

        environment:
          SWITCHYARD_PLUGIN_DIR   where configs find plugins, embedded or by path (default: this executable's folder)
          OPENAI_API_KEY          enables the openai provider in the default config
        """

    static func run(_ arguments: [String]) -> Int32 {
        guard let command = arguments.first else {
            printError(usage)
            return 2
        }
        let rest = Array(arguments.dropFirst())
        switch command {
        case "serve": return ServeCommand.run(rest)
        case "validate": return ValidateCommand.run(rest)
        case "plugins": return PluginsCommand.run(rest)
        // The children of ChildProcess: each dies with the process that started it.
        case PluginsCommand.childInspectCommand:
            ChildProcess.dieWithParent()
            return PluginsCommand.inspectHere(rest)
        case PluginsCommand.childValidateCommand:
            ChildProcess.dieWithParent()
            return PluginsCommand.validateHere(rest)
        case PluginLoadCheck.childCommand:
            ChildProcess.dieWithParent()
            return ValidateCommand.loadPluginsHere(rest)
        case PluginRunner.command: return PluginRunner.main(rest)
        case "print-default-config":
            print(EmbeddedConfig.text, terminator: "")
            return 0
        case "version", "--version": print("switchyard \(version)"); return 0
        case "help", "--help", "-h": print(usage); return 0
        default:
            printError("switchyard: unknown command \"\(command)\"\n\n\(usage)")
            return 2
        }
    }
}

func printError(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// This executable's own path (from /proc/self/exe): to re-exec itself, and to find plugins.
func executablePath() -> String {
    var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = buffer.withUnsafeMutableBufferPointer { readlink("/proc/self/exe", UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), Int(PATH_MAX)) }
    return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : CommandLine.arguments[0]
}

/// The folder this executable lives in, where `swift build` puts the plugin libraries.
func executableDirectory() -> String {
    let path = executablePath()
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return String(path[..<slash])
}
