import SwitchyardCore
import SwitchyardHTTP
import SwitchyardStore

/// `GET /admin/usage`'s parameters and the aggregation they ask for: rows of `usage_records`
/// grouped by any of key, user, team, model (as requested) and day (UTC), filtered by time
/// (`from` inclusive, `to` exclusive as Unix seconds or inclusive as a day) and by key, user,
/// team or model. A bad parameter is a 400 naming it.
struct UsageQuery: Equatable, Sendable {
    enum Group: String, CaseIterable, Sendable {
        case key, user, team, model, day

        var expression: String {
            switch self {
            case .key: "key_id"
            case .user: "user"
            case .team: "team"
            case .model: "model_requested"
            case .day: "strftime('%Y-%m-%d', created_at / 1000, 'unixepoch')"
            }
        }
    }

    var groupBy: [Group] = [.day]
    /// Unix milliseconds; `to` exclusive.
    var from: Int64?
    var to: Int64?
    var key: String?
    var user: String?
    var team: String?
    var model: String?

    /// Rows returned at most (a report that would be larger is cut; `truncated` says so).
    static let maxRows = 10_000

    init() {}

    init(query: String?) throws(GatewayError) {
        for (name, value) in QueryParameters.pairs(query) {
            switch name {
            case "group_by":
                var groups: [Group] = []
                for word in value.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let group = Group(rawValue: String(word)) else {
                        throw .invalidRequest("group_by: \"\(word)\" is not one of key, user, team, model, day (comma-separated)", param: "group_by")
                    }
                    if !groups.contains(group) { groups.append(group) }
                }
                groupBy = groups
            case "from", "to":
                guard let bound = CalendarDay.bound(value, endOfDay: name == "to") else {
                    throw .invalidRequest("\(name): expected a UTC day (YYYY-MM-DD) or Unix seconds, got \"\(value)\"", param: name)
                }
                if name == "from" { from = bound } else { to = bound }
            case "key", "user", "team", "model":
                guard !value.isEmpty else { throw .invalidRequest("\(name) must not be empty", param: name) }
                switch name {
                case "key": key = value
                case "user": user = value
                case "team": team = value
                default: model = value
                }
            default:
                throw .invalidRequest("unknown parameter \"\(name)\" (known: group_by, from, to, key, user, team, model)", param: name)
            }
        }
    }

    /// The SELECT and its bound values: the group columns in `groupBy` order, then requests,
    /// errors (status ≥ 400), the five token kinds and the cost in micros.
    var statement: (sql: String, values: [SQLValue]) {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let from { conditions.append("created_at >= ?"); values.append(.integer(from)) }
        if let to { conditions.append("created_at < ?"); values.append(.integer(to)) }
        for (column, value) in [("key_id", key), ("user", user), ("team", team), ("model_requested", model)] {
            guard let value else { continue }
            conditions.append("\(column) = ?")
            values.append(.text(value))
        }
        let groups = groupBy.map(\.expression)
        var sql = "SELECT " + (groups + [
            "COUNT(*)", "SUM(status >= 400)", "SUM(prompt_tokens)", "SUM(completion_tokens)", "SUM(cached_tokens)",
            "SUM(cache_creation_tokens)", "SUM(reasoning_tokens)", "SUM(cost_micros)",
        ]).joined(separator: ", ") + " FROM usage_records"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        if !groups.isEmpty {
            let positions = (1...groups.count).map(String.init).joined(separator: ", ")
            sql += " GROUP BY \(positions) ORDER BY \(positions)"
        }
        sql += " LIMIT \(Self.maxRows + 1)"
        return (sql, values)
    }
}

/// One row of a usage report.
struct UsageAggregate: Sendable, Equatable {
    /// The group values, in `groupBy` order (nil: no key, user or team).
    var groups: [String?]
    var requests: Int64
    var errors: Int64
    var promptTokens: Int64
    var completionTokens: Int64
    var cachedTokens: Int64
    var cacheCreationTokens: Int64
    var reasoningTokens: Int64
    var cost: Micros
}

extension UsageQuery {
    /// Runs the report on a store reader; at most `maxRows + 1` rows (one more says "cut").
    func run(_ db: SQLiteConnection) throws(StoreError) -> [UsageAggregate] {
        let (sql, values) = statement
        let width = groupBy.count
        var rows: [UsageAggregate] = []
        try db.query(sql, values) { row in
            let groups = (0..<width).map { row.isNull($0) ? nil : row.text($0) }
            rows.append(UsageAggregate(
                groups: groups, requests: row.integer(width), errors: row.integer(width + 1), promptTokens: row.integer(width + 2),
                completionTokens: row.integer(width + 3), cachedTokens: row.integer(width + 4), cacheCreationTokens: row.integer(width + 5),
                reasoningTokens: row.integer(width + 6), cost: row.integer(width + 7)))
        }
        return rows
    }
}
