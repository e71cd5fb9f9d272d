import SwitchyardStore

/// One row of `audit_entries` (migration 3), its bodies already redacted when `redacted`.
struct AuditEntry: Sendable, Equatable {
    var requestID: String
    /// Unix milliseconds.
    var createdAt: Int64
    var keyID: String?
    /// The HTTP path the request came in on.
    var route: String
    var model: String?
    var status: Int
    var requestBody: [UInt8]
    var responseBody: [UInt8]
    var redacted: Bool
    var truncated: Bool
}

/// The SQL of `audit_entries`: insert, read back, and the columns in their order.
enum AuditRows {
    static func insert(_ db: SQLiteConnection, _ entry: AuditEntry) throws(StoreError) {
        try db.run("""
            INSERT INTO audit_entries (request_id, created_at, key_id, route, model, status, request_body, response_body, redacted, truncated) \
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .text(entry.requestID), .integer(entry.createdAt), entry.keyID.map { .text($0) } ?? .null, .text(entry.route),
                entry.model.map { .text($0) } ?? .null, .integer(Int64(entry.status)), .blob(entry.requestBody), .blob(entry.responseBody),
                .integer(entry.redacted ? 1 : 0), .integer(entry.truncated ? 1 : 0),
            ])
    }

    static let columns = "request_id, created_at, key_id, route, model, status, request_body, response_body, redacted, truncated"

    static func entry(_ row: Row) -> AuditEntry {
        AuditEntry(requestID: row.text(0), createdAt: row.integer(1), keyID: row.isNull(2) ? nil : row.text(2), route: row.text(3),
                   model: row.isNull(4) ? nil : row.text(4), status: Int(row.integer(5)), requestBody: row.isNull(6) ? [] : row.blob(6),
                   responseBody: row.isNull(7) ? [] : row.blob(7), redacted: row.integer(8) != 0, truncated: row.integer(9) != 0)
    }
}
