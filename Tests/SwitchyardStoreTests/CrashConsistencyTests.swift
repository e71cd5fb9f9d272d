import Glibc
import SwitchyardStore
import Testing

/// A process killed (SIGKILL) while it writes leaves the store consistent: the file passes
/// `PRAGMA integrity_check`, every record whose commit was acknowledged is there, whole, and no
/// record is there in part. Three kills at random moments on the same file, each reopen
/// recovering from the previous crash.
@Suite struct CrashConsistencyTests {
    static let writer: String = {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        return String(exe[..<(exe.lastIndex(of: "/") ?? exe.endIndex)]) + "/switchyard-store-crash-writer"
    }()

    @Test func killedMidWriteLosesNoAcknowledgedRecordAndKeepsNoHalfOne() throws {
        try #require(access(Self.writer, X_OK) == 0, "build the writer first: swift build (\(Self.writer))")
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.file("data/crash.db")
        var acknowledged: Set<Int64> = []
        for round in 0..<3 {
            let killAfter = Int.random(in: 50...400)
            let acked = try runWriterAndKill(path: path, afterAcks: killAfter)
            #expect(acked.count >= killAfter, "round \(round): the writer acknowledged only \(acked.count) records")
            acknowledged.formUnion(acked)
            try check(path: path, acknowledged: acknowledged, round: round)
        }
    }

    /// Starts the writer, reads its acknowledgements until `afterAcks` arrived, SIGKILLs it, and
    /// returns every id it acknowledged (lines already in the pipe when it died included).
    private func runWriterAndKill(path: String, afterAcks: Int) throws -> Set<Int64> {
        var pipeFDs: [Int32] = [0, 0]
        try #require(pipe(&pipeFDs) == 0)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
        var pid = pid_t()
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(Self.writer), strdup(path), nil]
        defer { for arg in argv { free(arg) } }
        let rc = posix_spawn(&pid, Self.writer, &actions, nil, argv, environ)
        close(pipeFDs[1])
        try #require(rc == 0, "posix_spawn: \(rc)")
        let readFD = pipeFDs[0]
        defer { close(readFD) }

        var acked: Set<Int64> = []
        var pending: [UInt8] = []
        var killed = false
        let deadline = monotonicSeconds() + 30
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            if !killed && (acked.count >= afterAcks || monotonicSeconds() > deadline) {
                kill(pid, SIGKILL)
                killed = true
            }
            let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if count <= 0 { break }  // EOF: the writer is gone
            pending.append(contentsOf: buffer[..<count])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                if line.hasPrefix("acked "), let id = Int64(line.dropFirst(6)) { acked.insert(id) }
            }
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        // Killed by our signal, not exited on its own (an error exit would mean a failed write).
        #expect(status & 0x7f == SIGKILL, "the writer ended with status \(status), not by SIGKILL")
        return acked
    }

    private func check(path: String, acknowledged: Set<Int64>, round: Int) throws {
        let store = try Store(StoreOptions(path: path), migrations: CrashRecords.migrations)
        defer { store.close() }
        let integrity = TestSchema.scalar(store, "PRAGMA integrity_check")
        #expect(integrity == .text("ok"), "round \(round): \(String(describing: integrity))")

        struct Found: Sendable {
            var ids: [Int64] = []
            var bad: [String] = []
            var tails = 0
        }
        let result = Collector<Result<Found, StoreError>>()
        store.read(on: nil, { db throws(StoreError) -> Found in
            var found = Found()
            try db.query("SELECT r.id, r.payload, r.checksum, t.checksum FROM crash_records r LEFT JOIN crash_tails t ON t.id = r.id ORDER BY r.id") { row in
                let id = row.integer(0)
                found.ids.append(id)
                let payload = row.blob(1)
                if row.isNull(3) { found.bad.append("\(id): record without its tail") }
                if CrashRecords.checksum(payload) != row.integer(2) || payload != CrashRecords.payload(id) { found.bad.append("\(id): payload damaged") }
                if !row.isNull(3) && row.integer(3) != row.integer(2) { found.bad.append("\(id): tail of another record") }
            }
            if case .integer(let tails)? = try db.scalar("SELECT count(*) FROM crash_tails") { found.tails = Int(tails) }
            return found
        }, completion: { result.append($0) })
        let found = try #require(result.waitFor(count: 1).first).get()
        #expect(found.bad.isEmpty, "round \(round): \(found.bad.prefix(5))")
        #expect(found.tails == found.ids.count, "round \(round): tails without their record")
        // Commits happen in order: what is there is a prefix 0..<n covering every acknowledged id.
        #expect(found.ids == Array(0..<Int64(found.ids.count)), "round \(round): ids are not a prefix")
        let missing = acknowledged.subtracting(found.ids)
        #expect(missing.isEmpty, "round \(round): acknowledged but missing: \(missing.sorted().prefix(5))")
    }

    private func monotonicSeconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec
    }
}
