import SwitchyardStore

/// One file the gateway manages (store table `files`): its id as clients see it, the provider
/// holding the bytes and that provider's id for them, and the facts of OpenAI's file object.
///
/// `origin` says how it came to be: "upload" (a client's), "batch_input" (a batch's rewritten
/// input, uploaded by the gateway), "batch_output" / "batch_error" (a batch's results,
/// registered when the gateway first saw them). `keyID` is whose it is (the uploading key, the
/// batch's creator for a batch's files; `OwnerFilter`): nil on an open gateway.
struct FileRecord: Sendable, Equatable {
    var id: String
    var provider: String
    var upstreamID: String
    var filename: String
    var purpose: String
    var bytes: Int
    var createdAt: Int
    var expiresAt: Int?
    var origin: String
    var keyID: String?

    static let columns = "id, provider, upstream_id, filename, purpose, bytes, created_at, expires_at, origin, key_id"

    init(id: String, provider: String, upstreamID: String, filename: String, purpose: String, bytes: Int, createdAt: Int, expiresAt: Int?, origin: String,
         keyID: String?) {
        self.id = id
        self.provider = provider
        self.upstreamID = upstreamID
        self.filename = filename
        self.purpose = purpose
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.origin = origin
        self.keyID = keyID
    }

    /// A row selected with `columns`, in that order.
    init(_ row: Row) {
        self.init(
            id: row.text(0), provider: row.text(1), upstreamID: row.text(2), filename: row.text(3), purpose: row.text(4),
            bytes: Int(row.integer(5)), createdAt: Int(row.integer(6)), expiresAt: row.isNull(7) ? nil : Int(row.integer(7)), origin: row.text(8),
            keyID: row.isNull(9) ? nil : row.text(9))
    }

    var values: [SQLValue] {
        [.text(id), .text(provider), .text(upstreamID), .text(filename), .text(purpose), .integer(Int64(bytes)),
         .integer(Int64(createdAt)), expiresAt.map { .integer(Int64($0)) } ?? .null, .text(origin), keyID.map { .text($0) } ?? .null]
    }

    /// Stores the record; a file the provider already knows under another gateway id (a
    /// batch's output seen twice) keeps its first id.
    static func insert(_ record: FileRecord, _ db: SQLiteConnection) throws(StoreError) {
        _ = try db.run("INSERT INTO files (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, upstream_id) DO NOTHING", record.values)
    }

    static func find(id: String, _ db: SQLiteConnection) throws(StoreError) -> FileRecord? {
        var found: FileRecord?
        try db.query("SELECT \(columns) FROM files WHERE id = ?", [.text(id)]) { found = FileRecord($0) }
        return found
    }

    static func find(provider: String, upstreamID: String, _ db: SQLiteConnection) throws(StoreError) -> FileRecord? {
        var found: FileRecord?
        try db.query("SELECT \(columns) FROM files WHERE provider = ? AND upstream_id = ?", [.text(provider), .text(upstreamID)]) { found = FileRecord($0) }
        return found
    }

    static func delete(id: String, _ db: SQLiteConnection) throws(StoreError) {
        _ = try db.run("DELETE FROM files WHERE id = ?", [.text(id)])
    }
}
