/// Decodes `pricing:`: `{currency: USD, models: {name: {input, output, cached_input, reasoning}}}`,
/// prices per million tokens keyed by upstream model name.
enum PricingSection {
    static let keys = ["currency", "models"]
    static let priceKeys = ["input", "output", "cached_input", "reasoning"]
    static let maximumPrice = 1_000_000.0

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> PricingCatalog {
        guard let value else { return PricingCatalog() }
        let fields = try value.mapping(allowedKeys: keys)
        var catalog = PricingCatalog()
        if let currency = fields["currency"] {
            let code = try currency.string()
            guard code.utf8.count == 3, code.utf8.allSatisfy({ (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }) else {
                throw currency.error("expected a three-letter currency code such as USD, got \(currency.describe())")
            }
            catalog.currency = code
        }
        guard let models = fields["models"], !models.node.isNull else { return catalog }
        guard case .mapping(let pairs) = models.node.content else {
            throw models.error("expected a mapping of upstream model name: {input, output, ...}, got \(models.describe())")
        }
        for (key, price) in ConfigMapping(owner: models, pairs: pairs).entries {
            let name = try key.token("a model name")
            if catalog.models[name] != nil { throw key.error("model \"\(name)\" is priced twice") }
            let priceFields = try price.mapping(allowedKeys: priceKeys)
            catalog.models[name] = ModelPrice(
                input: try amount(priceFields.required("input")), output: try amount(priceFields.required("output")),
                cachedInput: try priceFields["cached_input"].map(amount), reasoning: try priceFields["reasoning"].map(amount))
        }
        return catalog
    }

    private static func amount(_ value: ConfigValue) throws(ConfigError) -> Double {
        try value.number(in: 0...maximumPrice, what: "a price per million tokens from 0 to \(Int(maximumPrice))")
    }
}
