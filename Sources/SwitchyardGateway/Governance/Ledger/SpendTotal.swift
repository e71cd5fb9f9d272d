import SwitchyardCore
import SwitchyardStore

/// One row of `spend_totals`: what a scope spent in one period window. Settlements add to it
/// (an upsert that sums, so write order does not matter and none is lost); the gateway reads
/// the current windows at start.
struct SpendTotal: Sendable, Equatable {
    let scope: String
    let period: BudgetPeriod
    let windowStart: Int64
    let spent: Micros

    /// On the store's writer thread.
    static func add(_ rows: [SpendTotal], _ db: SQLiteConnection) throws(StoreError) {
        for row in rows {
            _ = try db.run("""
                INSERT INTO spend_totals (scope, period, window_start, spent_micros) VALUES (?, ?, ?, ?)
                ON CONFLICT (scope, period, window_start) DO UPDATE SET spent_micros = spent_micros + excluded.spent_micros
                """, [.text(row.scope), .text(row.period.rawValue), .integer(row.windowStart), .integer(row.spent)])
        }
    }

    /// The rows of the windows current at `unixSeconds` (today, this month, all time); on a
    /// reader thread, at start.
    static func current(at unixSeconds: Int64, _ db: SQLiteConnection) throws(StoreError) -> [SpendTotal] {
        var rows: [SpendTotal] = []
        try db.query("""
            SELECT scope, period, window_start, spent_micros FROM spend_totals
            WHERE (period = 'daily' AND window_start = ?) OR (period = 'monthly' AND window_start = ?) OR period = 'total'
            """, [.integer(PeriodWindow.start(.daily, at: unixSeconds)), .integer(PeriodWindow.start(.monthly, at: unixSeconds))]) { row in
            guard let period = BudgetPeriod(rawValue: row.text(1)) else { return }
            rows.append(SpendTotal(scope: row.text(0), period: period, windowStart: row.integer(2), spent: row.integer(3)))
        }
        return rows
    }
}
