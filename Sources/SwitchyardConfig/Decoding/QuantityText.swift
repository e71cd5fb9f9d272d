/// Parses durations: `250ms`, `10s`, `2m`, `1h`, `1.5s`; a bare number is seconds.
///
/// Exact decimal arithmetic on nanoseconds (no floating point), so `0.1s` is 100,000,000 ns.
/// Negative values and durations of 100 days or more are refused.
enum DurationText {
    static func parse(_ text: String) -> Duration? {
        let (number, unit) = split(text)
        let unitNanos: Int64
        switch unit {
        case "ms": unitNanos = 1_000_000
        case "", "s": unitNanos = 1_000_000_000
        case "m": unitNanos = 60_000_000_000
        case "h": unitNanos = 3_600_000_000_000
        default: return nil
        }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 9, whole.allSatisfy(\.isASCIIDigit),
            let wholeValue = Int64(whole)
        else { return nil }
        var nanos = wholeValue * unitNanos
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 9, fraction.allSatisfy(\.isASCIIDigit), let digits = Int64(fraction)
            else { return nil }
            var scale: Int64 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            nanos += digits * unitNanos / scale
        }
        guard nanos < 100 * 86_400 * 1_000_000_000 else { return nil }
        return .nanoseconds(nanos)
    }

    /// Splits `"250ms"` into `("250", "ms")`; one space between number and unit is allowed.
    static func split(_ text: String) -> (number: Substring, unit: Substring) {
        let end = text.firstIndex { !($0.isASCIIDigit || $0 == ".") } ?? text.endIndex
        var unit = text[end...]
        if unit.first == " " { unit = unit.dropFirst() }
        return (text[..<end], unit)
    }
}

/// Parses byte sizes: `33554432`, `512KiB`, `32MiB`, `1GiB`, `100KB`, `8B`.
/// `KiB`/`MiB`/`GiB` are powers of 1024, `KB`/`MB`/`GB` powers of 1000; whole numbers only.
enum ByteSizeText {
    static func parse(_ text: String) -> Int? {
        let (number, unit) = DurationText.split(text)
        let multiplier: Int
        switch unit {
        case "", "B": multiplier = 1
        case "KB": multiplier = 1_000
        case "MB": multiplier = 1_000_000
        case "GB": multiplier = 1_000_000_000
        case "KiB": multiplier = 1 << 10
        case "MiB": multiplier = 1 << 20
        case "GiB": multiplier = 1 << 30
        default: return nil
        }
        guard !number.isEmpty, number.count <= 15, number.allSatisfy(\.isASCIIDigit), let value = Int(number) else {
            return nil
        }
        let (bytes, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : bytes
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
