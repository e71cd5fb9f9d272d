import Foundation
import SwitchyardPlugins
import Testing

/// ChildProcess through real children (/bin/sh): what it keeps of their output, and that a
/// process a child leaves behind neither delays its ending nor survives it.
@Suite struct ChildProcessTests {
    @Test func onlyTheLastOutputBytesAreKept() {
        var child = ChildProcess(executable: "/bin/sh", arguments: ["-c", "head -c 300000 /dev/zero | tr '\\0' x; echo; echo last words"])
        child.keptOutputBytes = 1024
        let outcome = child.run()
        #expect(outcome.ending == .exited(0))
        #expect(outcome.output.count == 1024)
        #expect(String(decoding: outcome.output, as: UTF8.self).hasSuffix("x\nlast words\n"))
    }

    @Test func aChildThatEndsIsSeenThoughAHelperKeepsItsPipesOpen() throws {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("helper-\(getpid()).pid").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        // The helper (a background sleep) inherits stdout, stderr and the report pipe.
        var child = ChildProcess(executable: "/bin/sh", arguments: ["-c", "sleep 30 & echo $! > \(pidFile); echo crashing; kill -SEGV $$"])
        child.reports = true
        child.timeoutSeconds = 20
        let started = Date()
        let outcome = child.run()
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(outcome.ending == .killed(signal: SIGSEGV))
        #expect(!outcome.timedOut)
        #expect(String(decoding: outcome.output, as: UTF8.self) == "crashing\n")
        let helper = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.hasEnded(helper), "the helper \(helper) outlived the child")
    }

    @Test func reportLinesPastTheKeptBoundStillRestartTheDeadline() {
        // 80 KiB of report lines (past the 64 KiB kept), then a line every 0.3 s for 2.4 s: each
        // is progress, so a 1 s deadline that restarts on reports is never reached.
        let script = "head -c 80000 /dev/zero | tr '\\0' '\\n' >&3; for i in 1 2 3 4 5 6 7 8; do sleep 0.3; echo step >&3; done"
        var child = ChildProcess(executable: "/bin/sh", arguments: ["-c", script])
        child.reports = true
        child.timeoutSeconds = 1
        child.deadlineRestartsOnReport = true
        let outcome = child.run()
        #expect(!outcome.timedOut)
        #expect(outcome.ending == .exited(0))
        #expect(outcome.reports.count <= 64 * 1024 + 4096)
    }

    /// True once `pid` is gone or a zombie (its new parent may not have reaped it yet).
    static func hasEnded(_ pid: Int32) -> Bool {
        for _ in 0..<100 {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            let state = stat.split(separator: ")").last?.split(separator: " ").first
            if state == "Z" || state == "X" { return true }
            usleep(50_000)
        }
        return false
    }
}
