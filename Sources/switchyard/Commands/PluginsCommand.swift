import SwitchyardPlugins
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// `switchyard plugins inspect PATH.so` and `switchyard plugins validate PATH.so ...`. Loading a
/// library runs its constructors, and a broken plugin may crash there (or in any hook): both
/// load it in child processes (this executable, re-run with a hidden command), so the report
/// can say how it died.
enum PluginsCommand {
    static let childInspectCommand = "__inspect-plugin"
    static let childValidateCommand = PluginValidator.childCommand

    static let usage = """
        usage: switchyard plugins inspect PATH.so
               switchyard plugins validate PATH.so [--config JSON] [--seed N] [--timeout SECONDS] [--fixture FILE]...
        """

    static func run(_ arguments: [String]) -> Int32 {
        switch arguments.first {
        case "inspect" where arguments.count == 2:
            let outcome = PluginInspector.inspectInChildProcess(executable: executablePath(), arguments: [childInspectCommand, arguments[1]])
            print(outcome.report, terminator: "")
            return outcome.succeeded ? 0 : 1
        case "validate":
            return validate(Array(arguments.dropFirst()))
        default:
            printError(usage)
            return 2
        }
    }

    /// Every check's line, then the summary; exit 1 on any failure.
    static func validate(_ arguments: [String]) -> Int32 {
        let options: ValidationOptions
        do {
            options = try ValidationOptions.parse(arguments, defaultSeed: unixNanoseconds() % 1_000_000)
            _ = try options.fixtures()
        } catch {
            printError("plugins validate: \(error)\n\(ValidationOptions.usage)")
            return 2
        }
        print("validating \(options.path) (seed \(options.seed), \(options.timeoutSeconds) s per check)")
        let stream = ReportPrinter()
        let results = PluginValidator.validate(executable: executablePath(), options: options) { stream.print($0) }
        stream.finish()
        print(ValidationReport.summary(results))
        return ValidationReport.hasFailure(results) ? 1 : 0
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

    /// Runs in the child of `plugins validate`: the checks from `--from` on.
    static func validateHere(_ arguments: [String]) -> Int32 {
        do {
            return PluginValidator.runChild(options: try ValidationOptions.parse(arguments, defaultSeed: 0))
        } catch {
            printError("\(childValidateCommand): \(error)")
            return 2
        }
    }
}

/// Prints the report while the checks run, line by line (stdout flushed after each, so a pipe
/// sees a hang as it happens). Called on the validating thread only.
private final class ReportPrinter: @unchecked Sendable {
    private var stream = ValidationReport.Stream()

    func print(_ result: ValidationResult) {
        for line in stream.add(result) { Swift.print(line) }
        fflush(nil)  // every stream: stdout is the one printed to
    }

    func finish() {
        for line in stream.finish() { Swift.print(line) }
    }
}
