import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardStore

/// `GET /v1/files`: the files the gateway manages, every provider's, from the store
/// (docs/decisions/0017-file-listing-from-the-store.md), in OpenAI's pages: `after` (a gateway
/// file id), `limit` (1…10000, default 10000), `order` (`desc` by default: newest first), `purpose`.
///
/// The order is `created_at`, then the order the gateway recorded the files in (the table's
/// rowid, which only grows): total, so a client paging with `after` sees every file that existed
/// when it began exactly once, and a file uploaded meanwhile in the same second sorts as the
/// newest, never between pages already read. (Ids break no ties: they are random.)
/// A virtual key sees only its own files (`owners`); an `after` naming another key's file is
/// answered like an unknown one.
struct FileListing: Sendable, Equatable {
    static let maxLimit = 10_000
    var after: String?
    var limit = FileListing.maxLimit
    var ascending = false
    var purpose: String?
    var owners = OwnerFilter.everyone

    /// One page as the store found it.
    enum Page: Sendable {
        case records([FileRecord], hasMore: Bool)
        case unknownAfter
    }

    /// The query's parameters; a bad value is a 400 naming it. Unknown parameters are ignored.
    init(query: String?, owners: OwnerFilter = .everyone) throws(GatewayError) {
        self.owners = owners
        for (name, value) in QueryParameters.pairs(query) {
            switch name {
            case "after":
                guard !value.isEmpty else { throw GatewayError.invalidRequest("'after' must be a file id.", code: "invalid_after", param: "after") }
                after = value
            case "limit":
                guard let number = Int(value), (1...Self.maxLimit).contains(number) else {
                    throw GatewayError.invalidRequest("'limit' must be an integer from 1 to \(Self.maxLimit), got '\(value)'.", code: "invalid_limit", param: "limit")
                }
                limit = number
            case "order":
                guard value == "asc" || value == "desc" else {
                    throw GatewayError.invalidRequest("'order' must be 'asc' or 'desc', got '\(value)'.", code: "invalid_order", param: "order")
                }
                ascending = value == "asc"
            case "purpose":
                purpose = value.isEmpty ? nil : value
            default:
                continue
            }
        }
    }

    /// The page, read on a store thread (one indexed range scan).
    func read(_ db: SQLiteConnection) throws(StoreError) -> Page {
        var conditions: [String] = []
        var values: [SQLValue] = []
        let owner = owners.condition()
        if let owner {
            conditions.append(owner.sql)
            values.append(owner.value)
        }
        if let after {
            var cursor: [SQLValue]?
            let visible = owner.map { " AND " + $0.sql } ?? ""
            try db.query("SELECT created_at, rowid FROM files WHERE id = ?\(visible)", [.text(after)] + (owner.map { [$0.value] } ?? [])) {
                cursor = [.integer($0.integer(0)), .integer($0.integer(1))]
            }
            guard let cursor else { return .unknownAfter }
            conditions.append("(created_at, rowid) \(ascending ? ">" : "<") (?, ?)")
            values += cursor
        }
        if let purpose {
            conditions.append("purpose = ?")
            values.append(.text(purpose))
        }
        let direction = ascending ? "ASC" : "DESC"
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        values.append(.integer(Int64(limit + 1)))
        var records: [FileRecord] = []
        try db.query("SELECT \(FileRecord.columns) FROM files\(filter) ORDER BY created_at \(direction), rowid \(direction) LIMIT ?", values) {
            records.append(FileRecord($0))
        }
        let hasMore = records.count > limit
        if hasMore { records.removeLast() }
        return .records(records, hasMore: hasMore)
    }

    /// OpenAI's list object.
    static func json(_ records: [FileRecord], hasMore: Bool) -> JSONValue {
        .object(JSONObject([
            ("object", "list"),
            ("data", .array(records.map(FileObject.json))),
            ("first_id", records.first.map { .string($0.id) } ?? .null),
            ("last_id", records.last.map { .string($0.id) } ?? .null),
            ("has_more", .bool(hasMore)),
        ]))
    }
}
