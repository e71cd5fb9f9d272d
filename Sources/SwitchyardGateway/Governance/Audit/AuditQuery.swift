import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardStore

/// `GET /admin/audit`'s parameters: `request_id`, `key`, `limit` (default 50, at most 500).
/// Bodies come back as text (they are JSON or SSE; invalid UTF-8 shows as U+FFFD).
struct AuditQuery: Equatable, Sendable {
    var requestID: String?
    var key: String?
    var limit = 50
    static let maxLimit = 500

    init(query: String?) throws(GatewayError) {
        for (name, value) in QueryParameters.pairs(query) {
            switch name {
            case "request_id", "key":
                guard !value.isEmpty else { throw .invalidRequest("\(name) must not be empty", param: name) }
                if name == "key" { key = value } else { requestID = value }
            case "limit":
                guard let number = Int(value), (1...Self.maxLimit).contains(number) else {
                    throw .invalidRequest("limit: expected an integer from 1 to \(Self.maxLimit), got \"\(value)\"", param: "limit")
                }
                limit = number
            default:
                throw .invalidRequest("unknown parameter \"\(name)\" (known: request_id, key, limit)", param: name)
            }
        }
    }

    func run(_ db: SQLiteConnection) throws(StoreError) -> [AuditEntry] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let requestID { conditions.append("request_id = ?"); values.append(.text(requestID)) }
        if let key { conditions.append("key_id = ?"); values.append(.text(key)) }
        var sql = "SELECT \(AuditRows.columns) FROM audit_entries"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY id DESC LIMIT \(limit)"
        var entries: [AuditEntry] = []
        try db.query(sql, values) { entries.append(AuditRows.entry($0)) }
        return entries
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
