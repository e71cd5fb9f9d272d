import SwitchyardCore
import SwitchyardHTTP
import SwitchyardStore

/// The parameters of the admin reads of raw governance rows (`/admin/usage/records`,
/// `/admin/audit`): `request_id`, `key`, `limit`; and the SELECT they make, newest first. An
/// unknown parameter, an empty value or a limit out of range is a 400 naming the parameter.
struct RecordLookup: Equatable, Sendable {
    var requestID: String?
    var key: String?
    var limit: Int
    let maxLimit: Int

    init(query: String?, defaultLimit: Int, maxLimit: Int) throws(GatewayError) {
        limit = defaultLimit
        self.maxLimit = maxLimit
        for (name, value) in QueryParameters.pairs(query) {
            switch name {
            case "request_id", "key":
                guard !value.isEmpty else { throw .invalidRequest("\(name) must not be empty", param: name) }
                if name == "key" { key = value } else { requestID = value }
            case "limit":
                guard let number = Int(value), (1...maxLimit).contains(number) else {
                    throw .invalidRequest("limit: expected an integer from 1 to \(maxLimit), got \"\(value)\"", param: "limit")
                }
                limit = number
            default:
                throw .invalidRequest("unknown parameter \"\(name)\" (known: request_id, key, limit)", param: name)
            }
        }
    }

    /// Runs `SELECT columns FROM table` with the filters, newest first, and maps each row.
    func run<Item>(_ db: SQLiteConnection, columns: String, table: String, _ item: (Row) -> Item) throws(StoreError) -> [Item] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let requestID { conditions.append("request_id = ?"); values.append(.text(requestID)) }
        if let key { conditions.append("key_id = ?"); values.append(.text(key)) }
        var sql = "SELECT \(columns) FROM \(table)"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY id DESC LIMIT \(limit)"
        var items: [Item] = []
        try db.query(sql, values) { items.append(item($0)) }
        return items
    }
}
