import SwitchyardCore
import SwitchyardJSON
import SwitchyardStore

/// The `virtual_keys` table's statements. Run on store threads only (inside `Store.write` /
/// `Store.read` bodies), never on an event loop.
enum KeyRecords {
    static let columns = "id, hash, prefix, name, user, team, models, routes, metadata, budget_limit, budget_period, rpm, tpm, concurrency, expires_at, disabled, created_at, updated_at, rotated_at"

    static func all(_ db: SQLiteConnection) throws(StoreError) -> [VirtualKey] {
        var keys: [VirtualKey] = []
        try db.query("SELECT \(columns) FROM virtual_keys ORDER BY created_at, id") { row in keys.append(record(row)) }
        return keys
    }

    static func insert(_ key: VirtualKey, _ db: SQLiteConnection) throws(StoreError) {
        try db.run("INSERT INTO virtual_keys (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values(key))
    }

    /// Replaces the row with `key.id`; throws when there is none (deleted meanwhile).
    static func update(_ key: VirtualKey, _ db: SQLiteConnection) throws(StoreError) {
        var bound = Array(values(key).dropFirst())
        bound.append(.text(key.id))
        let changed = try db.run("""
            UPDATE virtual_keys SET hash = ?, prefix = ?, name = ?, user = ?, team = ?, models = ?, routes = ?, metadata = ?, budget_limit = ?,
            budget_period = ?, rpm = ?, tpm = ?, concurrency = ?, expires_at = ?, disabled = ?, created_at = ?, updated_at = ?, rotated_at = ? WHERE id = ?
            """, bound)
        guard changed == 1 else { throw StoreError(.statementFailed, "virtual key \(key.id) is gone") }
    }

    /// Inserts or replaces the row with `key.id` (a key another replica made, `redis:`).
    static func upsert(_ key: VirtualKey, _ db: SQLiteConnection) throws(StoreError) {
        try db.run("INSERT OR REPLACE INTO virtual_keys (\(columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values(key))
    }

    static func delete(id: String, _ db: SQLiteConnection) throws(StoreError) {
        try db.run("DELETE FROM virtual_keys WHERE id = ?", [.text(id)])
    }

    private static func values(_ key: VirtualKey) -> [SQLValue] {
        func text(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
        func integer(_ value: Int?) -> SQLValue { value.map { .integer(Int64($0)) } ?? .null }
        func list(_ value: [String]?) -> SQLValue { value.map { .text(String(decoding: JSONValue.array($0.map { .string($0) }).serialized(), as: UTF8.self)) } ?? .null }
        return [
            .text(key.id), .text(key.hash), .text(key.prefix), text(key.name), text(key.user), text(key.team),
            list(key.models), list(key.routes), key.metadata.map { .text(String(decoding: JSONValue.object($0).serialized(), as: UTF8.self)) } ?? .null,
            key.budget.map { .integer($0.limit) } ?? .null, text(key.budget?.period.rawValue),
            integer(key.limits?.requestsPerMinute), integer(key.limits?.tokensPerMinute), integer(key.limits?.concurrency),
            key.expiresAt.map { .integer($0) } ?? .null, .integer(key.disabled ? 1 : 0),
            .integer(key.createdAt), .integer(key.updatedAt), key.rotatedAt.map { .integer($0) } ?? .null,
        ]
    }

    private static func record(_ row: Row) -> VirtualKey {
        func text(_ column: Int) -> String? { row.isNull(column) ? nil : row.text(column) }
        func integer(_ column: Int) -> Int64? { row.isNull(column) ? nil : row.integer(column) }
        func list(_ column: Int) -> [String]? {
            guard let json = text(column), let items = (try? JSONValue.parse(json))?.arrayValue else { return nil }
            return items.compactMap(\.stringValue)
        }
        var budget: SpendLimit?
        if let limit = integer(9), let period = text(10).flatMap(BudgetPeriod.init(rawValue:)) { budget = SpendLimit(limit: limit, period: period) }
        let limits = RateLimitSettings(requestsPerMinute: integer(11).map(Int.init), tokensPerMinute: integer(12).map(Int.init), concurrency: integer(13).map(Int.init))
        return VirtualKey(
            id: row.text(0), hash: row.text(1), prefix: row.text(2), name: text(3), user: text(4), team: text(5),
            models: list(6), routes: list(7), metadata: text(8).flatMap { (try? JSONValue.parse($0))?.objectValue },
            budget: budget, limits: limits.isEmpty ? nil : limits, expiresAt: integer(14), disabled: row.integer(15) != 0,
            createdAt: row.integer(16), updatedAt: row.integer(17), rotatedAt: integer(18))
    }
}
