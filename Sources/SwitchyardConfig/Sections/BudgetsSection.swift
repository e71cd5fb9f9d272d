import SwitchyardCore

/// Decodes `budgets:`: `default_output_tokens` and `keys`/`users`/`teams`, each a mapping of
/// name (or `default`) to `{limit: 10.00, period: daily|monthly|total}`. Limits are decimal
/// amounts in the pricing catalog's currency, read from their digits into `Micros` exactly
/// (no binary floating point: 0.1 is 100000 micros).
enum BudgetsSection {
    static let keys = ["default_output_tokens", "keys", "users", "teams"]
    static let limitKeys = ["limit", "period"]
    /// A trillion in the catalog's currency: far beyond any real budget, well inside Int64 micros.
    static let maximumLimit: Micros = 1_000_000_000_000 * 1_000_000

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> BudgetsConfig {
        var budgets = BudgetsConfig()
        guard let value else { return budgets }
        let fields = try value.mapping(allowedKeys: keys)
        if let tokens = fields["default_output_tokens"] { budgets.defaultOutputTokens = try tokens.integer(in: 1...10_000_000) }
        budgets.keys = try ScopedSection.decode(fields["keys"], what: "key id") { v throws(ConfigError) in try limit(v) }
        budgets.users = try ScopedSection.decode(fields["users"], what: "user name") { v throws(ConfigError) in try limit(v) }
        budgets.teams = try ScopedSection.decode(fields["teams"], what: "team name") { v throws(ConfigError) in try limit(v) }
        return budgets
    }

    static func limit(_ value: ConfigValue) throws(ConfigError) -> SpendLimit {
        let fields = try value.mapping(allowedKeys: limitKeys)
        let amount = try money(fields.required("limit"))
        let periodValue = try fields.required("period")
        let word = try periodValue.string()
        guard let period = BudgetPeriod(rawValue: word) else {
            throw periodValue.error("expected a period of daily, monthly or total, got \(periodValue.describe())")
        }
        return SpendLimit(limit: amount, period: period)
    }

    /// `12`, `12.5`, `0.000001`: at most six decimals (a micro), not negative.
    static func money(_ value: ConfigValue) throws(ConfigError) -> Micros {
        let what = "an amount of money such as 10 or 2.50 (at most 6 decimals, not negative)"
        guard case .scalar(let text, .plain) = value.node.content, let micros = parseMicros(text) else {
            throw value.error("expected \(what), got \(value.describe())")
        }
        guard micros <= maximumLimit else { throw value.error("\(text) is out of range (at most 1000000000000)") }
        return micros
    }

    /// Decimal digits with an optional fraction of up to six digits into micros; nil otherwise.
    static func parseMicros(_ text: String) -> Micros? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty, whole.utf8.count <= 13, whole.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              fraction.utf8.count <= 6, fraction.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              parts.count == 1 || !fraction.isEmpty else { return nil }
        var micros: Micros = 0
        for byte in whole.utf8 { micros = micros * 10 + Micros(byte - 0x30) }
        micros *= 1_000_000
        var scale: Micros = 100_000
        for byte in fraction.utf8 {
            micros += Micros(byte - 0x30) * scale
            scale /= 10
        }
        return micros
    }
}
