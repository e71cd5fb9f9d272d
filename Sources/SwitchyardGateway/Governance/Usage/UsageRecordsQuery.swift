import SwitchyardCore
import SwitchyardHTTP
import SwitchyardStore

/// `GET /admin/usage/records`: the raw records of one request (`request_id`: its record, or a
/// batch's line records) or the newest `limit` (default 100, at most 1000), optionally of one
/// `key`. Bad parameters are a 400 naming them.
struct UsageRecordsQuery: Equatable, Sendable {
    var requestID: String?
    var key: String?
    var limit = 100
    static let maxLimit = 1000

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

    func run(_ db: SQLiteConnection) throws(StoreError) -> [UsageRecord] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let requestID { conditions.append("request_id = ?"); values.append(.text(requestID)) }
        if let key { conditions.append("key_id = ?"); values.append(.text(key)) }
        var sql = "SELECT \(UsageRows.columns) FROM usage_records"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY id DESC LIMIT \(limit)"
        var records: [UsageRecord] = []
        try db.query(sql, values) { records.append(UsageRows.record($0)) }
        return records
    }
}
