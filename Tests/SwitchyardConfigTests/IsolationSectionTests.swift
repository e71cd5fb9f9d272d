import Testing

@testable import SwitchyardConfig

/// `isolation:` and `isolation_limits:` on a plugin entry (docs/plugin-isolation.md).
@Suite("plugin isolation keys")
struct IsolationSectionTests {
    func entry(_ keys: String) throws -> PluginEntry {
        try #require(try parse("plugins:\n  - name: p\n    path: /p/lib.so\n" + keys).plugins.first)
    }

    @Test("in-process by default, with the default limits")
    func defaults() throws {
        #expect(try entry("").isolation == .inProcess)
        #expect(try entry("    isolation: in_process\n").isolation == .inProcess)
        let process = try entry("    isolation: process\n").isolation
        #expect(process == PluginIsolation(mode: .process))
        #expect(process.hookTimeoutNanoseconds == 10_000_000_000 && process.memoryLimitBytes == 1 << 30)
        #expect(process.maxRestarts == 5 && process.restartWindowNanoseconds == 60_000_000_000)
    }

    @Test("every limit")
    func limits() throws {
        let isolation = try entry("""
                isolation: process
                isolation_limits: {hook_timeout: 250ms, memory: 512MiB, max_restarts: 0, restart_window: 2m}

            """).isolation
        #expect(isolation == PluginIsolation(mode: .process, hookTimeoutNanoseconds: 250_000_000, memoryLimitBytes: 512 << 20,
                                             maxRestarts: 0, restartWindowNanoseconds: 120_000_000_000))
    }

    @Test("bad values are reported at file:line:column", arguments: [
        ("    isolation: sandbox\n", #"test.yaml:4:16: plugins[0].isolation: expected in_process or process, got "sandbox""#),
        ("    isolation_limits: {memory: 1GiB}\n", "test.yaml:4:23: plugins[0].isolation_limits: isolation_limits applies only to an entry with isolation: process"),
        ("    isolation: process\n    isolation_limits: {hook_timeout: 0s}\n", "test.yaml:5:38: plugins[0].isolation_limits.hook_timeout: must be greater than zero"),
        ("    isolation: process\n    isolation_limits: {memory: 1MiB}\n", "test.yaml:5:32: plugins[0].isolation_limits.memory: must be at least 64MiB"),
        ("    isolation: process\n    isolation_limits: {restart: 1}\n", "test.yaml:5:24: plugins[0].isolation_limits.restart"),
        ("    isolation: process\n    isolation_limits: {max_restarts: 1001}\n", "out of range (0 to 1000)"),
        ("    isolation: process\n    isolation_limits: [1]\n", "test.yaml:5:23: plugins[0].isolation_limits: expected a mapping, got a list"),
    ])
    func badValues(keys: String, message: String) {
        let text = errorText("plugins:\n  - name: p\n    path: /p/lib.so\n" + keys) ?? "(parsed)"
        #expect(text.contains(message), "\(text)")
    }
}
