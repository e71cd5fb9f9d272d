extension ConfigValue {
    /// A plain integer or decimal number within `range` (prices, rates, shares).
    func number(in range: ClosedRange<Double>, what: String) throws(ConfigError) -> Double {
        guard case .scalar(let text, .plain) = node.content else { throw error("expected \(what), got \(describe())") }
        // Canonical JSON number text (ScalarResolution), which Double reads as is.
        let written: String
        switch ScalarResolution.resolve(text) {
        case .integer(let digits), .float(let digits): written = digits
        default: throw error("expected \(what), got \(describe())")
        }
        guard let value = Double(written), value.isFinite else { throw error("expected \(what), got \(describe())") }
        guard range.contains(value) else { throw error("\(text) is out of range (\(what))") }
        return value
    }

    /// A JSON scalar a routing condition compares with (a quoted value is always a string).
    func scalarCondition() throws(ConfigError) -> JSONScalarCondition {
        guard case .scalar(let text, let style) = node.content else {
            throw error("expected a scalar (string, number, true/false or null) to compare with, got \(describe())")
        }
        guard style == .plain else { return .string(text) }
        switch ScalarResolution.resolve(text) {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let digits), .float(let digits): return Double(digits).map(JSONScalarCondition.number) ?? .string(text)
        case .nonFinite: throw error("\(text) has no JSON spelling; compare with a finite number")
        case .string: return .string(text)
        }
    }
}
