import CSwitchyardPlugin
import Foundation
import SwitchyardPlugins
import Testing

@Suite struct PluginInspectorTests {
    @Test func reportShowsIdentityABIAndSchema() throws {
        let path = try Fixtures.plugin("good_provider")
        let report = try PluginInspector.inspect(path: path)
        let lines = report.split(separator: "\n").map(String.init)
        #expect(lines.contains("id:          dev.switchyard.test.good"))
        #expect(lines.contains("version:     1.2.3"))
        #expect(lines.contains("abi:         plugin 1.1, host 1.1, negotiated 1.1"))
        #expect(lines.contains("flags:       SERIALIZE_INSTANCE"))
        #expect(lines.contains("kinds:       provider"))
        #expect(lines.contains("interfaces:  switchyard.provider/1"))
        #expect(lines.contains("operations:  chat"))
        #expect(lines.contains("sha256:      \(try PluginLibrary.sha256(ofFileAt: path))"))
        #expect(report.contains("""
        config schema:
          {
            "type": "object",
            "properties": {
              "text": {
                "type": "string"
              }
            }
          }
        """))
    }

    @Test func aCrashingChildIsReportedWithItsSignal() {
        let outcome = PluginInspector.inspectInChildProcess(executable: "/bin/sh", arguments: ["-c", "echo loading; kill -SEGV $$", "/x/lib.so"])
        #expect(!outcome.succeeded)
        #expect(outcome.signal == SIGSEGV)
        #expect(outcome.report.hasPrefix("loading\n"))
        #expect(outcome.report.contains("error: the plugin crashed the inspecting process while loading /x/lib.so: Segmentation fault (signal 11)"))
    }

    @Test func aHangingChildIsKilled() {
        let outcome = PluginInspector.inspectInChildProcess(executable: "/bin/sleep", arguments: ["30"], timeoutSeconds: 1)
        #expect(!outcome.succeeded && outcome.signal == SIGKILL)
        #expect(outcome.report.contains("did not finish within 1 s"))
    }

    @Test func aMissingExecutableIsReported() {
        let outcome = PluginInspector.inspectInChildProcess(executable: "/nonexistent/switchyard", path: "/x.so")
        #expect(!outcome.succeeded && outcome.report.hasPrefix("error: cannot start /nonexistent/switchyard"))
    }

    /// The real path: the switchyard binary re-run with its hidden subcommand.
    @Test func switchyardInspectsInAChildAndSurvivesACrashingPlugin() throws {
        let switchyard = Fixtures.product("switchyard")
        try #require(FileManager.default.isExecutableFile(atPath: switchyard), "run `swift build` first: \(switchyard) is missing")
        let good = PluginInspector.inspectInChildProcess(executable: switchyard, path: try Fixtures.plugin("good_provider"))
        #expect(good.succeeded)
        #expect(good.report.contains("id:          dev.switchyard.test.good"))

        let crash = try Fixtures.plugin("crash_on_load")
        let crashed = PluginInspector.inspectInChildProcess(executable: switchyard, path: crash)
        #expect(!crashed.succeeded && crashed.signal == SIGSEGV)
        #expect(crashed.report.contains("crashed the inspecting process while loading \(crash)"))

        let refused = PluginInspector.inspectInChildProcess(executable: switchyard, path: try Fixtures.plugin("needs_minor7"))
        #expect(!refused.succeeded && refused.signal == nil)
        #expect(refused.report.contains("plugin needs ABI 1.7, host provides 1.1"))
    }
}
