import SwitchyardStore

/// One batch the gateway created for a client (store table `batches`): its id as clients see
/// it, the provider running it and that provider's id, the input file as the client named it
/// and as it went upstream (the preparers' rewrite, when they changed a line), and the batch
/// object as last seen, with every id already the gateway's.
struct BatchRecord: Sendable, Equatable {
    var id: String
    var provider: String
    var upstreamID: String
    var inputFileID: String
    var upstreamInputFileID: String
    /// The preparers rewrote the input: `upstreamInputFileID` is a file the gateway uploaded
    /// (and has a `files` row of origin "batch_input").
    var rewritten: Bool
    var endpoint: String
    var createdAt: Int
    var status: String
    var object: [UInt8]
    /// Who created it (`plan.caller`; nil on an open gateway): its lines' usage records carry it.
    var keyID: String?
    var user: String?
    var team: String?

    static let columns = "id, provider, upstream_id, input_file_id, upstream_input_file_id, rewritten, endpoint, created_at, status, object, key_id, user, team"

    init(id: String, provider: String, upstreamID: String, inputFileID: String, upstreamInputFileID: String, rewritten: Bool,
         endpoint: String, createdAt: Int, status: String, object: [UInt8]) {
        self.id = id
        self.provider = provider
        self.upstreamID = upstreamID
        self.inputFileID = inputFileID
        self.upstreamInputFileID = upstreamInputFileID
        self.rewritten = rewritten
        self.endpoint = endpoint
        self.createdAt = createdAt
        self.status = status
        self.object = object
    }

    /// A row selected with `columns`, in that order.
    init(_ row: Row) {
        self.init(
            id: row.text(0), provider: row.text(1), upstreamID: row.text(2), inputFileID: row.text(3), upstreamInputFileID: row.text(4),
            rewritten: row.integer(5) != 0, endpoint: row.text(6), createdAt: Int(row.integer(7)), status: row.text(8), object: row.blob(9))
        keyID = row.isNull(10) ? nil : row.text(10)
        user = row.isNull(11) ? nil : row.text(11)
        team = row.isNull(12) ? nil : row.text(12)
    }

    /// OpenAI's terminal batch states: nothing changes after them.
    static let terminalStates: Set<String> = ["completed", "failed", "expired", "cancelled"]
    var isTerminal: Bool { Self.terminalStates.contains(status) }

    static func insert(_ record: BatchRecord, _ db: SQLiteConnection) throws(StoreError) {
        _ = try db.run("INSERT INTO batches (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            .text(record.id), .text(record.provider), .text(record.upstreamID), .text(record.inputFileID), .text(record.upstreamInputFileID),
            .integer(record.rewritten ? 1 : 0), .text(record.endpoint), .integer(Int64(record.createdAt)), .text(record.status), .blob(record.object),
            record.keyID.map { .text($0) } ?? .null, record.user.map { .text($0) } ?? .null, record.team.map { .text($0) } ?? .null,
        ])
    }

    /// Keeps the batch object as seen now.
    static func update(id: String, status: String, object: [UInt8], _ db: SQLiteConnection) throws(StoreError) {
        _ = try db.run("UPDATE batches SET status = ?, object = ? WHERE id = ?", [.text(status), .blob(object), .text(id)])
    }

    static func find(id: String, _ db: SQLiteConnection) throws(StoreError) -> BatchRecord? {
        var found: BatchRecord?
        try db.query("SELECT \(columns) FROM batches WHERE id = ?", [.text(id)]) { found = BatchRecord($0) }
        return found
    }

    /// Newest first, OpenAI's order, by the order the gateway recorded them (rowid: unlike
    /// `created_at`, in seconds, it never ties): the `limit + 1` batches after `after` (nil: from
    /// the newest), so the caller can say `has_more`. Only the batches `owners` admits; nil when
    /// `after` names no batch among them.
    static func page(after: String?, limit: Int, owners: OwnerFilter = .everyone, _ db: SQLiteConnection) throws(StoreError) -> [BatchRecord]? {
        var records: [BatchRecord] = []
        var anchor = Int64.max
        let owner = owners.condition()
        let visible = owner.map { " AND " + $0.sql } ?? ""
        let ownerValues = owner.map { [$0.value] } ?? []
        if let after {
            guard case .integer(let rowid)? = try db.scalar("SELECT rowid FROM batches WHERE id = ?\(visible)", [.text(after)] + ownerValues) else { return nil }
            anchor = rowid
        }
        try db.query("SELECT \(columns) FROM batches WHERE rowid < ?\(visible) ORDER BY rowid DESC LIMIT ?",
                     [.integer(anchor)] + ownerValues + [.integer(Int64(limit + 1))]) {
            records.append(BatchRecord($0))
        }
        return records
    }
}
