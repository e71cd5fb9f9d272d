/// RFC 3339 date-times as Anthropic writes them (`2024-08-20T18:37:24.100435Z`, or with an offset
/// `+02:00`) → Unix seconds, the unit of OpenAI's batch objects. Fractions are dropped (floor);
/// leap seconds (`:60`) read as the next second. Nil for anything else: the caller decides what a
/// missing or malformed time means.
enum RFC3339 {
    static func unixSeconds(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.digits(4), reader.skip("-"), let month = reader.digits(2), reader.skip("-"),
              let day = reader.digits(2), reader.skipAny("T", "t", " "),
              let hour = reader.digits(2), reader.skip(":"), let minute = reader.digits(2), reader.skip(":"),
              let second = reader.digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour <= 23, minute <= 59, second <= 60 else { return nil }
        if reader.skip(".") {
            guard reader.digits(1) != nil else { return nil }
            while reader.digits(1) != nil {}
        }
        var offset = 0
        if reader.skipAny("Z", "z") {
            // UTC
        } else if let sign = reader.sign() {
            guard let hours = reader.digits(2), reader.skip(":"), let minutes = reader.digits(2), hours <= 23, minutes <= 59 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        return daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date: whole years of 365 days, plus the leap
    /// days before it (every 4th year but not every 100th, yet every 400th), plus the days of
    /// the months before `month` this year.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let previous = year - 1
        let leapDaysBefore = (previous / 4 - previous / 100 + previous / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400)
        var days = (year - 1970) * 365 + leapDaysBefore
        for earlier in stride(from: 1, to: month, by: 1) { days += daysIn(month: earlier, year: year) }
        return days + day - 1
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private struct DigitReader {
        let bytes: [UInt8]
        var position = 0

        var atEnd: Bool { position == bytes.count }

        mutating func digits(_ count: Int) -> Int? {
            guard position + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[position..<position + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            position += count
            return value
        }

        mutating func skip(_ character: Unicode.Scalar) -> Bool { skipAny(character) }

        mutating func skipAny(_ characters: Unicode.Scalar...) -> Bool {
            guard position < bytes.count, characters.contains(where: { UInt8(ascii: $0) == bytes[position] }) else { return false }
            position += 1
            return true
        }

        mutating func sign() -> Int? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}
