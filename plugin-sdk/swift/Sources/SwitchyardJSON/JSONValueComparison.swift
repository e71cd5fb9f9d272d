/// Equality as RFC 6902 §4.6 (`test`) defines it, which `JSONValue ==` is not: `==` compares
/// numbers by their text, objects in member order and strings by Swift's canonical equivalence.
extension JSONValue {
    /// Equal by value: numbers numerically, strings by code points, arrays element by element,
    /// objects by the same member names (code points) with equal values, in any order.
    func isEqual(byValue other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case (.bool(let lhs), .bool(let rhs)): return lhs == rhs
        case (.number(let lhs), .number(let rhs)): return Self.sameNumber(lhs, rhs)
        case (.string(let lhs), .string(let rhs)): return sameCodePoints(lhs, rhs)
        case (.array(let lhs), .array(let rhs)):
            return lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.isEqual(byValue: $1) }
        case (.object(let lhs), .object(let rhs)):
            guard lhs.count == rhs.count else { return false }
            // Sorted by name, the two lists pair up member by member (n log n, not n² lookups).
            let left = lhs.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            let right = rhs.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            return zip(left, right).allSatisfy { sameCodePoints($0.key, $1.key) && $0.value.isEqual(byValue: $1.value) }
        default:
            return false
        }
    }

    /// nil when equal by value; otherwise what differs, without quoting either value (the
    /// document is the client's data and this ends up in logs).
    func difference(from expected: JSONValue) -> String? {
        if isEqual(byValue: expected) { return nil }
        if kindName != expected.kindName { return "found \(kindName), expected \(expected.kindName)" }
        switch self {
        case .array(let items) where items.count != expected.arrayValue?.count:
            return "found an array of \(items.count) elements, expected \(expected.arrayValue?.count ?? 0)"
        default:
            return "found a different \(kindName.split(separator: " ").last ?? "value")"
        }
    }

    /// Whether two JSON number texts have the same value. Exact for any number of digits; a
    /// number whose exponent has more than 15 digits equals only the same text.
    static func sameNumber(_ lhs: String, _ rhs: String) -> Bool {
        if sameCodePoints(lhs, rhs) { return true }
        guard let left = DecimalNumber(lhs), let right = DecimalNumber(rhs) else { return false }
        return left == right
    }

    /// A number as sign, significant digits (no leading or trailing zeros) and a power of ten:
    /// `-1.50e2` is (true, "15", 1). Zero has no digits and no sign.
    private struct DecimalNumber: Equatable {
        var negative = false
        var digits: [UInt8] = []
        var exponent = 0

        init?(_ text: String) {
            let bytes = Array(text.utf8)
            func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
            var index = 0
            if bytes.first == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            var fractionDigits = 0
            var sawDigit = false
            while index < bytes.count, isDigit(bytes[index]) {
                if !digits.isEmpty || bytes[index] != UInt8(ascii: "0") { digits.append(bytes[index]) }
                sawDigit = true
                index += 1
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                while index < bytes.count, isDigit(bytes[index]) {
                    if !digits.isEmpty || bytes[index] != UInt8(ascii: "0") { digits.append(bytes[index]) }
                    fractionDigits += 1
                    index += 1
                }
            }
            guard sawDigit else { return nil }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                var exponentNegative = false
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    exponentNegative = bytes[index] == UInt8(ascii: "-")
                    index += 1
                }
                var written = 0
                var significant = 0
                let start = index
                while index < bytes.count, isDigit(bytes[index]) {
                    if written > 0 || bytes[index] != UInt8(ascii: "0") {
                        written = written * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                        significant += 1
                        if significant > 15 { return nil }
                    }
                    index += 1
                }
                guard index > start else { return nil }
                exponent = exponentNegative ? -written : written
            }
            guard index == bytes.count else { return nil }
            while digits.last == UInt8(ascii: "0") {
                digits.removeLast()
                exponent += 1
            }
            exponent -= fractionDigits
            if digits.isEmpty {
                negative = false
                exponent = 0
            }
        }
    }
}
