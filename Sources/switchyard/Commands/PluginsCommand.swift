import SwitchyardPlugins

/// `switchyard plugins inspect PATH.so`. Loading a library runs its constructors, and a broken
/// plugin may crash there: the load happens in a child process (this executable, re-run with a
/// hidden command), so the report can say how it died.
enum PluginsCommand {
    static let childInspectCommand = "__inspect-plugin"

    static func run(_ arguments: [String]) -> Int32 {
        guard arguments.count == 2, arguments[0] == "inspect" else {
            printError("usage: switchyard plugins inspect PATH.so")
            return 2
        }
        let outcome = PluginInspector.inspectInChildProcess(executable: executablePath(), arguments: [childInspectCommand, arguments[1]])
        print(outcome.report, terminator: "")
        return outcome.succeeded ? 0 : 1
    }

    /// Runs in the child: load, negotiate, print the report.
    static func inspectHere(_ arguments: [String]) -> Int32 {
        guard arguments.count == 1 else { return 2 }
        do {
            print(try PluginInspector.inspect(path: arguments[0]), terminator: "")
            return 0
        } catch {
            print("error: \(error)")
            return 1
        }
    }
}
