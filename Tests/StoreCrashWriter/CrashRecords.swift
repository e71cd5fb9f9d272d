import SwitchyardStore

/// The crash test's schema and records, shared by the writer process and the test (which
/// compiles this file too, through a symlink in its own folder).
enum CrashRecords {
    static let migrations = [
        Migration(version: 1, name: "crash_records", sql: """
            CREATE TABLE crash_records (id INTEGER PRIMARY KEY, payload BLOB NOT NULL, checksum INTEGER NOT NULL);
            CREATE TABLE crash_tails (id INTEGER PRIMARY KEY, checksum INTEGER NOT NULL)
            """),
    ]

    /// 1 byte to 12 KiB, so records span page boundaries and overflow pages.
    static func payload(_ id: Int64) -> [UInt8] {
        let count = Int((id &* 7919) % 12_288) + 1
        var state = UInt64(bitPattern: id) &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }

    /// FNV-1a, as a signed 64-bit SQLite integer.
    static func checksum(_ bytes: [UInt8]) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int64(bitPattern: hash)
    }
}
