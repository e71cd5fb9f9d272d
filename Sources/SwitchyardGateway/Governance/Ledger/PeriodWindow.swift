import SwitchyardCore
import SwitchyardPosix

/// Budget periods as windows of Unix seconds: a UTC calendar day, a UTC calendar month, or all
/// time (window 0), by `CivilCalendar`; shared by the local and the Redis ledger and by `spend_totals` (its
/// `window_start`).
enum PeriodWindow {
    static let daySeconds: Int64 = 86_400

    /// The start of the window `unixSeconds` falls in.
    static func start(_ period: BudgetPeriod, at unixSeconds: Int64) -> Int64 {
        switch period {
        case .total: return 0
        case .daily: return floorDiv(unixSeconds, daySeconds) * daySeconds
        case .monthly:
            let date = civil(days: floorDiv(unixSeconds, daySeconds))
            return days(year: date.year, month: date.month, day: 1) * daySeconds
        }
    }

    /// When the window `unixSeconds` falls in ends (the next one starts); nil for `total`.
    static func end(_ period: BudgetPeriod, at unixSeconds: Int64) -> Int64? {
        switch period {
        case .total: return nil
        case .daily: return start(.daily, at: unixSeconds) + daySeconds
        case .monthly:
            let date = civil(days: floorDiv(unixSeconds, daySeconds))
            let (year, month) = date.month == 12 ? (date.year + 1, 1) : (date.year, date.month + 1)
            return days(year: year, month: month, day: 1) * daySeconds
        }
    }

    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 { CivilCalendar.days(year: year, month: month, day: day) }

    private static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) { CivilCalendar.date(daysSinceEpoch: days) }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { CivilCalendar.floorDivision(a, b) }
}
