// switchyard-store-crash-writer DB_PATH: the process the store's crash test kills.
//
// Opens the store at DB_PATH (schema: CrashRecords), then writes records forever from an event
// loop, 32 in flight, and prints "acked ID" on stdout (unbuffered) only when a record's
// completion arrives, that is after its transaction committed. Each record is two rows in two
// tables written by one job with a payload of varying size and its checksum, so that the test can
// tell a half-written record from a whole one. The test SIGKILLs it at a random moment.
import Glibc
import SwitchyardPosix
import SwitchyardStore

/// A line on stderr (fd 2, unbuffered).
func complain(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

guard CommandLine.arguments.count == 2 else {
    complain("usage: switchyard-store-crash-writer DB_PATH")
    exit(2)
}
let store: Store
do {
    store = try Store(StoreOptions(path: CommandLine.arguments[1]), migrations: CrashRecords.migrations)
} catch {
    complain("switchyard-store-crash-writer: \(error)")
    exit(1)
}
let loop = try EventLoop()

/// Loop-confined: touched only by the loop thread (the main thread, running `loop.run()`).
final class Writer: @unchecked Sendable {
    var next: Int64 = 0

    func start(from first: Int64) {
        next = first
        for _ in 0..<32 { writeNext() }
    }

    func writeNext() {
        let id = next
        next += 1
        let payload = CrashRecords.payload(id)
        let checksum = CrashRecords.checksum(payload)
        store.write(on: loop, { db throws(StoreError) in
            try db.run("INSERT INTO crash_records (id, payload, checksum) VALUES (?, ?, ?)", [.integer(id), .blob(payload), .integer(checksum)])
            try db.run("INSERT INTO crash_tails (id, checksum) VALUES (?, ?)", [.integer(id), .integer(checksum)])
        }, completion: { [self] result in
            guard case .success = result else {
                complain("write \(id) failed: \(result)")
                exit(1)
            }
            let line = Array("acked \(id)\n".utf8)
            _ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            writeNext()
        })
    }
}

let writer = Writer()
store.read(on: loop, { db throws(StoreError) -> Int64 in
    if case .integer(let last)? = try db.scalar("SELECT max(id) FROM crash_records") { return last + 1 }
    return 0
}, completion: { result in
    guard case .success(let first) = result else { exit(1) }
    writer.start(from: first)
})
loop.run()
