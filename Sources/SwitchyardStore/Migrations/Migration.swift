/// One step of the store's schema: version `n` turns a database at `n - 1` into one at `n`.
///
/// Migrations are append-only: a released one is never edited or removed (a database in the
/// field already ran it); a change is a new migration. The list lives in `StoreSchema`.
public struct Migration: Sendable, Hashable {
    /// 1, 2, 3, ... with no gaps, in list order.
    public let version: Int
    /// A short name (`stored_responses`), recorded beside the version so a database from another
    /// lineage of migrations is recognised instead of silently misread.
    public let name: String
    /// The statements, run inside the migration transaction.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}
