import Foundation
@testable import SwitchyardPlugins
import Testing

/// The parent side of `plugins validate` with a scripted child (a shell script in place of the
/// switchyard executable, writing the report lines a real child writes): what happens when a
/// child dies between two checks, or refuses to run them.
@Suite struct ValidatorRestartTests {
    static let names = ValidationCatalog.checks.map(\.name)

    /// A script that, started with `--from N`, reports checks N... as passed; `body` runs first
    /// (with $from set) and may end the script early.
    func script(_ body: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("validator-child-\(UUID().uuidString).sh").path
        let names = Self.names.joined(separator: " ")
        let text = """
            #!/bin/sh
            from=$3
            \(body)
            i=0
            for name in \(names); do
              if [ $i -ge $from ]; then printf 'start\\t%s\\nok\\t%s\\n' $name $name >&3; fi
              i=$((i+1))
            done
            """
        // Written through a close-on-exec descriptor: tests run in parallel, and a child another
        // test spawns must not inherit it open for writing (exec would fail with ETXTBSY).
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw CocoaError(.fileWriteUnknown) }
        return path
    }

    /// The validator's results with `executable` as its child. A spawn refused with ETXTBSY is
    /// tried again: another test's child may still be between fork and exec with the script's
    /// descriptor (close-on-exec closes it only at that exec).
    func validate(_ executable: String) throws -> [ValidationResult] {
        var options = try ValidationOptions.parse(["/x/lib.so"], defaultSeed: 1)
        options.timeoutSeconds = 20
        let busy = String(cString: strerror(ETXTBSY))
        for _ in 0..<20 {
            let results = PluginValidator.validate(executable: executable, options: options)
            guard results.count == 1, case .failed(let why) = results[0].verdict, why.contains(busy) else { return results }
            usleep(50_000)
        }
        return PluginValidator.validate(executable: executable, options: options)
    }

    @Test func aChildDyingBetweenChecksIsAFailureAndTheNextCheckRunsInANewChild() throws {
        // The first child passes two checks and dies before the third starts.
        let child = try script("""
            if [ $from -eq 0 ]; then
              printf 'start\\t%s\\nok\\t%s\\nstart\\t%s\\nok\\t%s\\n' \(Self.names[0]) \(Self.names[0]) \(Self.names[1]) \(Self.names[1]) >&3
              kill -SEGV $$
            fi
            """)
        defer { try? FileManager.default.removeItem(atPath: child) }
        let results = try validate(child)
        #expect(results.map(\.name) == Array(Self.names[0...1]) + ["validator"] + Array(Self.names[2...]), "\(results.prefix(3))")
        try #require(results.count > 2)
        let failure = results[2].verdict
        #expect(failure == .failed("the plugin crashed the validating process: SIGSEGV (Segmentation fault) (between \(Self.names[1]) and \(Self.names[2]))"))
        #expect(results.filter { $0.verdict == .passed }.count == Self.names.count)
    }

    @Test func aChildThatRefusesToRunIsReportedWithItsReason() throws {
        let child = try script("printf 'fail\\tvalidator\\t--fixture x.json: cannot read it\\n' >&3; exit 2")
        defer { try? FileManager.default.removeItem(atPath: child) }
        let results = try validate(child)
        #expect(results.map(\.name) == ["validator"])
        #expect(results[0].verdict == .failed("--fixture x.json: cannot read it"))
    }

    @Test func exitStatusTwoIsNotTakenForThePluginCallingExit() {
        let outcome = ChildProcess.Outcome(ending: .exited(2), timedOut: false, output: [], reports: [])
        let message = PluginValidator.describe(outcome, timeoutSeconds: 1) ?? ""
        #expect(!message.contains("called exit"))
        #expect(PluginValidator.describe(ChildProcess.Outcome(ending: .exited(3), timedOut: false, output: [], reports: []), timeoutSeconds: 1)?
            .contains("the plugin called exit?") == true)
    }
}
