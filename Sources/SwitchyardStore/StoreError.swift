/// Anything that went wrong in the store: opening it, migrating it, or one statement.
///
/// A struct over a private code (STYLE.md principle 7): `kind` is a bounded name for logs and
/// metrics, `description` the sentence an operator reads, naming the database file.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The file or its directory could not be created, opened or written.
        case cannotOpen = "cannot_open"
        /// A migration failed; nothing of it was kept.
        case migrationFailed = "migration_failed"
        /// The database was written by a newer switchyard (a schema version this one lacks).
        case newerSchema = "newer_schema"
        /// A statement failed (constraint, disk full, corrupt file, ...).
        case statementFailed = "statement_failed"
        /// The writer's or reader's queue is full: the store is not keeping up.
        case queueFull = "queue_full"
        /// The store was closed.
        case closed
    }

    public let kind: Kind
    public let message: String
    /// SQLite's primary result code when SQLite reported the error, 0 otherwise.
    public let sqliteCode: Int32

    public init(_ kind: Kind, _ message: String, sqliteCode: Int32 = 0) {
        self.kind = kind
        self.message = message
        self.sqliteCode = sqliteCode
    }

    public var description: String { message }
}
