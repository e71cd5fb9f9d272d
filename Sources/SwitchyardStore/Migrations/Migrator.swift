import SwitchyardPosix

/// Brings a database to the latest schema at start, all or nothing.
///
/// In one `BEGIN IMMEDIATE` transaction (which also keeps a second process from migrating the
/// same file at the same time): create `schema_migrations` if missing, read which versions were
/// applied, refuse a database that has versions this binary does not know, then run the missing
/// migrations in order and record each. Any failure rolls everything back.
enum Migrator {
    struct Outcome: Equatable {
        var from: Int
        var to: Int
    }

    static func apply(_ migrations: [Migration], to connection: SQLiteConnection) throws(StoreError) -> Outcome {
        for (offset, migration) in migrations.enumerated() {
            precondition(migration.version == offset + 1, "store migrations must be numbered 1, 2, 3, ... in order")
        }
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let outcome = try migrate(migrations, connection)
            try connection.execute("COMMIT")
            return outcome
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private static func migrate(_ migrations: [Migration], _ connection: SQLiteConnection) throws(StoreError) -> Outcome {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at_ms INTEGER NOT NULL
            )
            """)
        var applied: [(version: Int, name: String)] = []
        try connection.query("SELECT version, name FROM schema_migrations ORDER BY version") { row in
            applied.append((Int(row.integer(0)), row.text(1)))
        }
        let current = applied.last?.version ?? 0
        if current > migrations.count {
            throw StoreError(.newerSchema, """
                the store database \(connection.path) is at schema version \(current) (\(applied.last?.name ?? "")), \
                newer than this switchyard knows (\(migrations.count)); run a newer switchyard or point store.path at another file
                """)
        }
        for record in applied where record.version >= 1 {
            let known = migrations[record.version - 1]
            guard known.name == record.name else {
                throw StoreError(.migrationFailed, """
                    the store database \(connection.path) records schema version \(record.version) as "\(record.name)", \
                    this switchyard's version \(record.version) is "\(known.name)": not a database of this switchyard
                    """)
            }
        }
        for migration in migrations.dropFirst(current) {
            do {
                try connection.execute(migration.sql)
            } catch {
                throw StoreError(.migrationFailed, "the store database \(connection.path): migration \(migration.version) (\(migration.name)) failed: \(error.message)", sqliteCode: error.sqliteCode)
            }
            try connection.run(
                "INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)",
                [.integer(Int64(migration.version)), .text(migration.name), .integer(Int64(unixNanoseconds() / 1_000_000))])
        }
        return Outcome(from: current, to: migrations.count)
    }
}
