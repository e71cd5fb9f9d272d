import SwitchyardCore
import SwitchyardStore

/// `GET /admin/usage/records`: the raw records of one request (`request_id`: its record, or a
/// batch's line records by the batch id) or the newest `limit` (default 100, at most 1000),
/// optionally of one `key`.
struct UsageRecordsQuery: Equatable, Sendable {
    let lookup: RecordLookup

    init(query: String?) throws(GatewayError) {
        lookup = try RecordLookup(query: query, defaultLimit: 100, maxLimit: 1000)
    }

    func run(_ db: SQLiteConnection) throws(StoreError) -> [UsageRecord] {
        try lookup.run(db, columns: UsageRows.columns, table: "usage_records", UsageRows.record)
    }
}
