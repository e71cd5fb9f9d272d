import SwitchyardCore

/// The query of a listing (`?after=…&limit=…&order=…`): OpenAI's cursor pagination. Values are
/// percent-decoded; a parameter given twice keeps its last value; an undecodable one is an error
/// when read.
struct ListQuery {
    private var values: [String: String] = [:]
    private var broken: Set<String> = []

    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = Self.decode(parts.count > 1 ? parts[1] : "") { values[name] = value } else { broken.insert(name) }
        }
    }

    subscript(name: String) -> String? { values[name] }

    /// `limit`, checked against `range`; `fallback` when absent.
    func limit(default fallback: Int, range: ClosedRange<Int>) throws(GatewayError) -> Int {
        guard !broken.contains("limit") else { throw Self.invalidLimit(range) }
        guard let text = values["limit"] else { return fallback }
        guard let limit = Int(text), range.contains(limit) else { throw Self.invalidLimit(range) }
        return limit
    }

    private static func invalidLimit(_ range: ClosedRange<Int>) -> GatewayError {
        .invalidRequest("'limit' must be an integer from \(range.lowerBound) to \(range.upperBound).", code: "invalid_value", param: "limit")
    }

    /// `+` is a space in a query; `%XY` a byte. Nil for a stray `%` or bytes that are not UTF-8.
    private static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
