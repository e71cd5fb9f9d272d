import SwitchyardCore
import SwitchyardJSON
import SwitchyardStore

/// `GET /admin/audit`'s parameters: `request_id`, `key`, `limit` (default 50, at most 500).
/// Bodies come back as text (they are JSON or SSE; invalid UTF-8 shows as U+FFFD).
struct AuditQuery: Equatable, Sendable {
    let lookup: RecordLookup

    init(query: String?) throws(GatewayError) {
        lookup = try RecordLookup(query: query, defaultLimit: 50, maxLimit: 500)
    }

    func run(_ db: SQLiteConnection) throws(StoreError) -> [AuditEntry] {
        try lookup.run(db, columns: AuditRows.columns, table: "audit_entries", AuditRows.entry)
    }

    static func render(_ entries: [AuditEntry]) -> JSONValue {
        let data: [JSONValue] = entries.map { entry in
            .object(JSONObject([
                ("request_id", .string(entry.requestID)), ("created_at", .number(String(entry.createdAt / 1000))),
                ("key_id", entry.keyID.map(JSONValue.string) ?? .null), ("route", .string(entry.route)),
                ("model", entry.model.map(JSONValue.string) ?? .null), ("status", .number(String(entry.status))),
                ("request_body", .string(String(decoding: entry.requestBody, as: UTF8.self))),
                ("response_body", .string(String(decoding: entry.responseBody, as: UTF8.self))),
                ("redacted", .bool(entry.redacted)), ("truncated", .bool(entry.truncated)),
            ]))
        }
        return .object(JSONObject([("object", "list"), ("data", .array(data))]))
    }
}
