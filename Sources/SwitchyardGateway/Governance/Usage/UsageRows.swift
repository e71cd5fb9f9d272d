import SwitchyardStore

/// The SQL of `usage_records` (migration 3): the batch insert and the retention delete. Runs on
/// the store's writer thread, inside the transaction of the job that calls it.
enum UsageRows {
    static let insertSQL = """
        INSERT INTO usage_records (request_id, created_at, key_id, user, team, route, model_requested, model_resolved, provider, mode, \
        prompt_tokens, completion_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, cost_micros, latency_ms, status, batch_id, batch_line) \
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// One prepared statement (cached by the connection) run once per record.
    static func insert(_ db: SQLiteConnection, _ records: [UsageRecord]) throws(StoreError) {
        for record in records { try db.run(insertSQL, values(of: record)) }
    }

    static func values(of record: UsageRecord) -> [SQLValue] {
        [.text(record.requestID), .integer(record.createdAt), optional(record.keyID), optional(record.user), optional(record.team),
         .text(record.route), .text(record.modelRequested), .text(record.modelResolved), .text(record.provider), .text(record.mode),
         .integer(Int64(record.promptTokens)), .integer(Int64(record.completionTokens)), .integer(Int64(record.cachedTokens)),
         .integer(Int64(record.cacheCreationTokens)), .integer(Int64(record.reasoningTokens)), .integer(record.cost),
         .integer(Int64(record.latencyMilliseconds)), .integer(Int64(record.status)), optional(record.batchID), optional(record.batchLine)]
    }

    static let columns = """
        request_id, created_at, key_id, user, team, route, model_requested, model_resolved, provider, mode, prompt_tokens, \
        completion_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, cost_micros, latency_ms, status, batch_id, batch_line
        """

    /// The record of a row selected with `columns`, in that order.
    static func record(_ row: Row) -> UsageRecord {
        func text(_ column: Int) -> String? { row.isNull(column) ? nil : row.text(column) }
        return UsageRecord(
            requestID: row.text(0), createdAt: row.integer(1), keyID: text(2), user: text(3), team: text(4), route: row.text(5),
            modelRequested: row.text(6), modelResolved: row.text(7), provider: row.text(8), mode: row.text(9),
            promptTokens: Int(row.integer(10)), completionTokens: Int(row.integer(11)), cachedTokens: Int(row.integer(12)),
            cacheCreationTokens: Int(row.integer(13)), reasoningTokens: Int(row.integer(14)), cost: row.integer(15),
            latencyMilliseconds: Int(row.integer(16)), status: Int(row.integer(17)), batchID: text(18), batchLine: text(19))
    }

    private static func optional(_ text: String?) -> SQLValue { text.map { .text($0) } ?? .null }
}
