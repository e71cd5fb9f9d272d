import SwitchyardPosix

/// Wall-clock times as the files and batches APIs write them: OpenAI in Unix seconds, Anthropic
/// in RFC 3339 (UTC, microseconds, `Z`).
enum MockClock {
    /// Now, in microseconds since the Unix epoch.
    static func nowMicroseconds() -> Int { Int(unixNanoseconds() / 1_000) }

    static func seconds(_ microseconds: Int) -> Int { microseconds / 1_000_000 }

    /// `2024-08-20T18:37:24.100435Z` for a time in microseconds since the epoch.
    static func rfc3339(_ microseconds: Int) -> String {
        let seconds = microseconds / 1_000_000
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))."
            + padded(microseconds % 1_000_000, to: 6) + "Z"
    }

    /// The proleptic Gregorian date of a day counted from 1970-01-01.
    static func civilDate(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
        let date = CivilCalendar.date(daysSinceEpoch: Int64(days))
        return (Int(date.year), Int(date.month), Int(date.day))
    }

    private static func two(_ value: Int) -> String { padded(value, to: 2) }

    private static func padded(_ value: Int, to width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
