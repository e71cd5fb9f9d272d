import SwitchyardCore

/// Budget periods as windows of Unix seconds: a UTC calendar day, a UTC calendar month, or all
/// time (window 0). Calendar arithmetic on days since 1970-01-01 (proleptic Gregorian), no
/// Foundation; shared by the local and the Redis ledger and by `spend_totals` (its
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

    /// Days since 1970-01-01 of a Gregorian date (years counted in 400-year eras of 146,097 days,
    /// each year starting in March so that February's leap day comes last).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yearOfEra = y - era * 400
        let shiftedMonth = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The Gregorian date of a count of days since 1970-01-01 (the inverse of `days`).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
