/// `Retry-After` (RFC 9110 §10.2.3): delay-seconds, or an HTTP-date (IMF-fixdate,
/// `Sun, 06 Nov 1994 08:49:37 GMT`, the form servers must send), read as a wait from now.
/// The two obsolete date forms are not read: such a header counts as absent.
enum RetryAfter {
    /// The wait in nanoseconds; a date in the past is 0. Nil when `value` is neither form.
    /// `nowUnixNanoseconds`: the wall clock (a date is wall-clock time).
    static func nanoseconds(_ value: String, nowUnixNanoseconds: UInt64) -> UInt64? {
        let bytes = Array(value.utf8.drop { $0 == 0x20 }.reversed().drop { $0 == 0x20 }.reversed())
        if let seconds = delaySeconds(bytes) { return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow ? .max : seconds * 1_000_000_000 }
        guard let date = imfFixdate(bytes) else { return nil }
        let at = UInt64(max(date, 0)) &* 1_000_000_000
        return at > nowUnixNanoseconds ? at - nowUnixNanoseconds : 0
    }

    /// 1*DIGIT; absurd lengths are refused rather than overflowed.
    static func delaySeconds(_ bytes: [UInt8]) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 12, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return bytes.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }
    }

    private static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` → seconds since the Unix epoch.
    static func imfFixdate(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count == 29 else { return nil }
        func text(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard days.contains(text(0..<3)), text(3..<5) == ", ", bytes[7] == 0x20, bytes[11] == 0x20, bytes[16] == 0x20,
              bytes[19] == 0x3A, bytes[22] == 0x3A, text(25..<29) == " GMT",
              let day = number(5..<7), let monthIndex = months.firstIndex(of: text(8..<11)), let year = number(12..<16),
              let hour = number(17..<19), let minute = number(20..<22), let second = number(23..<25),
              (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        let epochDays = daysFromCivil(year: year, month: monthIndex + 1, day: day)
        return Int64(epochDays) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date, counted in eras of 400 years (the
    /// calendar repeats every 146,097 days), with years starting in March so the leap day is last.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
