import SwitchyardConfig
import Testing
@testable import SwitchyardGateway

/// The parent side of `switchyard validate`'s child process, driven by /bin/sh children that
/// write the report lines a real child would and then end the way a broken plugin makes it end.
@Suite struct PluginLoadCheckTests {
    static let yaml = """
        plugins:
          - name: a
            path: /x/liba.so
          - name: b
            path: /x/libb.so
        providers:
          - name: p
            plugin: b
            models: [m]

        """

    func check(_ script: String, timeout: Double = 10) throws -> PluginLoadCheck.Outcome {
        let config = try ConfigLoader.parse(yaml: Array(Self.yaml.utf8), sourceName: "v.yaml", environment: .values([:]))
        return PluginLoadCheck.inChildProcess(config: config, executable: "/bin/sh", arguments: ["-c", script], timeoutSeconds: timeout)
    }

    @Test func everyStepAndOkIsSuccess() throws {
        let outcome = try check("for s in 'library a' 'instance a' 'library b' 'instance b' 'provider p' 'free a' 'free b' 'ok 2'; do echo \"$s\" >&3; done")
        #expect(outcome.error == nil && outcome.instances == 2)
    }

    @Test func aCrashNamesTheEntryItsFileAndTheStep() throws {
        #expect(try check("echo 'library a' >&3; echo 'instance a' >&3; echo 'library b' >&3; kill -SEGV $$").error
            == #"v.yaml:4:5: plugin "b" (/x/libb.so): crashed the validating process with SIGSEGV (Segmentation fault) while loading the library (its constructors, then sy_plugin_entry)"#)
        let aborted = try check("echo 'instance a' >&3; kill -ABRT $$").error
        #expect(aborted == #"v.yaml:2:5: plugin "a" (/x/liba.so): crashed the validating process with SIGABRT (Aborted) while creating its instance (instance_new)"#, "\(aborted ?? "")")
        #expect(try check("echo 'provider p' >&3; kill -BUS $$").error
            == #"v.yaml:7:5: provider "p" (plugin "b", /x/libb.so): crashed the validating process with SIGBUS (Bus error) while looking up its provider interface (get_interface)"#)
        #expect(try check("echo 'free b' >&3; exit 3").error
            == #"v.yaml:4:5: plugin "b" (/x/libb.so): ended the validating process (exit status 3) while freeing its instance (instance_free)"#)
    }

    @Test func aCrashWithNoStepInProgressSaysSo() throws {
        #expect(try check("kill -SEGV $$").error
            == "v.yaml: a plugin crashed the validating process with SIGSEGV (Segmentation fault) while loading plugins (before it loaded any plugin)")
        #expect(try check("echo 'ok 2' >&3; kill -SEGV $$").error?.hasSuffix("(after every plugin had loaded and been freed)") == true)
    }

    @Test func theDeadlineIsPerStep() throws {
        // 0.6 s in all, no step over 0.3 s: within a 0.5 s per-step timeout.
        #expect(try check("echo 'library a' >&3; sleep 0.3; echo 'library b' >&3; sleep 0.3; echo 'ok 2' >&3", timeout: 0.5).error == nil)
        #expect(try check("echo 'library a' >&3; echo 'library b' >&3; sleep 5", timeout: 0.5).error
            == #"v.yaml:4:5: plugin "b" (/x/libb.so): did not finish loading the library (its constructors, then sy_plugin_entry) within 0.5 s; the validating process was killed"#)
    }

    @Test func aChildThatClosesItsPipesAndHangsIsStillKilledAtTheDeadline() throws {
        let started = ContinuousClock.now
        let error = try check("echo 'library b' >&3; exec 3>&- 1>&- 2>&-; sleep 30", timeout: 0.5).error
        #expect(error?.contains("plugin \"b\"") == true && error?.contains("was killed") == true, "\(error ?? "")")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aChildScribblingOnItsReportPipeCannotHoldTheCheckForever() throws {
        let started = ContinuousClock.now
        let error = try check("while true; do echo 'library a' >&3; done", timeout: 0.5).error
        #expect(error?.contains("was killed") == true, "\(error ?? "")")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aCleanErrorIsPassedOnAsWritten() throws {
        #expect(try check("echo 'library a' >&3; printf 'error v.yaml:2:5: plugin \"a\": no such file\\nsecond line\\n' >&3; exit 1").error
            == "v.yaml:2:5: plugin \"a\": no such file\nsecond line")
    }

    @Test func plugInOutputDoesNotMixIntoTheReport() throws {
        #expect(try check("echo 'error on stdout'; echo 'ok 0' >&3").error == nil)
    }

    @Test func aChildThatCannotStartIsAnError() throws {
        let config = try ConfigLoader.parse(yaml: Array(Self.yaml.utf8), sourceName: "v.yaml", environment: .values([:]))
        let outcome = PluginLoadCheck.inChildProcess(config: config, executable: "/nonexistent/switchyard", arguments: [])
        #expect(outcome.error?.hasPrefix("cannot check the plugins: cannot start /nonexistent/switchyard") == true)
    }

    @Test func aCrashLookingUpAnEnricherNamesTheEntryAndItsPlugin() throws {
        let yaml = Self.yaml + "enrichers:\n  - {name: usage, plugin: a}\n"
        let config = try ConfigLoader.parse(yaml: Array(yaml.utf8), sourceName: "v.yaml", environment: .values([:]))
        let outcome = PluginLoadCheck.inChildProcess(
            config: config, executable: "/bin/sh", arguments: ["-c", "echo 'provider p' >&3; echo 'enricher usage' >&3; kill -SEGV $$"], timeoutSeconds: 10)
        #expect(outcome.error
            == #"v.yaml:11:5: enricher "usage" (plugin "a", /x/liba.so): crashed the validating process with SIGSEGV (Segmentation fault) while looking up its enricher interface (get_interface)"#)
    }
}
