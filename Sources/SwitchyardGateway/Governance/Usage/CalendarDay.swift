/// `YYYY-MM-DD` (a UTC calendar day) to Unix seconds at its start, and the query-parameter
/// times of the governance reports: a day, or Unix seconds. Proleptic Gregorian, no Foundation.
enum CalendarDay {
    /// Unix seconds at 00:00 UTC of `text`; nil unless it is a valid `YYYY-MM-DD`.
    static func start(of text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }),
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2]),
              (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return Int64(RetryAfter.daysFromCivil(year: Int(year), month: Int(month), day: Int(day))) * 86_400
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// A report bound in Unix milliseconds: a day (its start; with `endOfDay`, the next day's
    /// start, so `to=2026-12-03` includes that day) or Unix seconds as given. Nil when neither.
    static func bound(_ text: String, endOfDay: Bool) -> Int64? {
        if let start = start(of: text) { return (endOfDay ? start + 86_400 : start) * 1000 }
        guard !text.isEmpty, text.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int64(text) else { return nil }
        return seconds * 1000
    }
}
