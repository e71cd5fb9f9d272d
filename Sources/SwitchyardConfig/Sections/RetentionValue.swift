/// Retention periods of governance records: a duration (`12h`, `90m`) or whole days (`90d`),
/// from one second to 100 years.
extension ConfigValue {
    func retention() throws(ConfigError) -> Duration {
        let text = try string()
        if text.hasSuffix("d") {
            let digits = text.dropLast()
            guard !digits.isEmpty, digits.count <= 5, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let days = Int(digits), days >= 1, days <= 36_500 else {
                throw error("expected a retention such as 90d (whole days, 1 to 36500) or 12h, got \(describe())")
            }
            return .seconds(days * 86_400)
        }
        let value = try duration()
        guard value >= .seconds(1) else { throw error("must be at least 1s") }
        return value
    }
}
