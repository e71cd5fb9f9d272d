import Glibc
import SwitchyardStore
import Testing

/// Opening the store: the file and folder created, migrations applied once, all or nothing,
/// and a database from a newer or foreign switchyard refused with a clear error.
@Suite struct MigrationTests {
    @Test func aNewFileIsCreatedInANewFolderInWALModeAtTheLatestVersion() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.file("a/b/switchyard.db")
        let store = try Store(StoreOptions(path: path), migrations: [TestSchema.things, TestSchema.tags])
        defer { store.close() }
        #expect(access(path, F_OK) == 0)
        #expect(store.openedAtVersion == 0)
        #expect(store.schemaVersion == 2)
        #expect(TestSchema.scalar(store, "PRAGMA journal_mode") == .text("wal"))
        #expect(TestSchema.scalar(store, "SELECT group_concat(version || ':' || name, ',') FROM schema_migrations") == .text("1:things,2:tags"))
    }

    @Test func anOlderDatabaseIsMigratedUpKeepingItsRows() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let options = StoreOptions(path: scratch.file("s.db"))
        let old = try Store(options, migrations: [TestSchema.things])
        let done = Collector<Bool>()
        old.write(on: nil, { db throws(StoreError) in try db.run("INSERT INTO things (id, body) VALUES (1, 'kept')") },
                  completion: { done.append((try? $0.get()) != nil) })
        #expect(done.waitFor(count: 1) == [true])
        old.close()

        let new = try Store(options, migrations: [TestSchema.things, TestSchema.tags])
        defer { new.close() }
        #expect(new.openedAtVersion == 1)
        #expect(new.schemaVersion == 2)
        #expect(TestSchema.scalar(new, "SELECT body FROM things WHERE id = 1") == .text("kept"))
        #expect(TestSchema.scalar(new, "SELECT count(*) FROM tags") == .integer(0))
        // Opening again changes nothing.
        new.close()
        let again = try Store(options, migrations: [TestSchema.things, TestSchema.tags])
        #expect(again.openedAtVersion == 2)
        again.close()
    }

    @Test func aDatabaseNewerThanTheBinaryIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let options = StoreOptions(path: scratch.file("s.db"))
        try Store(options, migrations: [TestSchema.things, TestSchema.tags]).close()
        let error = #expect(throws: StoreError.self) { try Store(options, migrations: [TestSchema.things]) }
        #expect(error?.kind == .newerSchema)
        #expect(error?.message.contains(options.path) == true)
        #expect(error?.message.contains("schema version 2 (tags), newer than this switchyard knows (1)") == true)
    }

    @Test func aDatabaseOfAnotherLineageIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let options = StoreOptions(path: scratch.file("s.db"))
        try Store(options, migrations: [TestSchema.things]).close()
        let other = Migration(version: 1, name: "widgets", sql: "CREATE TABLE widgets (id INTEGER)")
        let error = #expect(throws: StoreError.self) { try Store(options, migrations: [other]) }
        #expect(error?.kind == .migrationFailed)
        #expect(error?.message.contains("records schema version 1 as \"things\"") == true)
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let options = StoreOptions(path: scratch.file("s.db"))
        let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE tags (x INTEGER); CREATE TABLE oops (")
        let error = #expect(throws: StoreError.self) { try Store(options, migrations: [TestSchema.things, broken]) }
        #expect(error?.kind == .migrationFailed)
        #expect(error?.message.contains("migration 2 (broken) failed") == true)
        // Version 1 ran in the same transaction: it was rolled back too.
        let store = try Store(options, migrations: [TestSchema.things])
        defer { store.close() }
        #expect(store.openedAtVersion == 0)
        #expect(TestSchema.scalar(store, "SELECT count(*) FROM sqlite_schema WHERE name = 'tags'") == .integer(0))
    }

    @Test func aFileInTheWayOfTheFolderFailsNamingIt() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let blocker = scratch.file("blocker")
        _ = system("echo x > '\(blocker)'")
        let error = #expect(throws: StoreError.self) { try Store(StoreOptions(path: "\(blocker)/data/s.db")) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.message.contains("cannot create the store directory \(blocker)") == true)
    }

    @Test func aFileThatIsNotADatabaseIsRefused() throws {
        let scratch = ScratchDirectory()
        defer { scratch.cleanup() }
        let path = scratch.file("s.db")
        _ = system("head -c 4096 /dev/urandom > '\(path)'")
        let error = #expect(throws: StoreError.self) { try Store(StoreOptions(path: path)) }
        #expect(error?.kind == .cannotOpen)
        #expect(error?.message.contains(path) == true)
        #expect(error?.message.contains("not a database") == true)
    }
}
