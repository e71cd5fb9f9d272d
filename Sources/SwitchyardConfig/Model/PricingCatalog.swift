/// `pricing:`: prices per million tokens, keyed by the model name the provider receives (the
/// upstream name). The `cost` strategy reads it; budgets will too.
public struct PricingCatalog: Sendable, Equatable {
    /// ISO 4217 code the prices are in (`USD` by default); one currency per catalog.
    public var currency: String
    public var models: [String: ModelPrice]

    public init(currency: String = "USD", models: [String: ModelPrice] = [:]) {
        self.currency = currency
        self.models = models
    }
}

/// One model's prices, per million tokens.
public struct ModelPrice: Sendable, Equatable {
    public var input: Double
    public var output: Double
    /// Prompt tokens served from the provider's cache; nil = priced as `input`.
    public var cachedInput: Double?
    /// Reasoning tokens; nil = priced as `output`.
    public var reasoning: Double?

    public init(input: Double, output: Double, cachedInput: Double? = nil, reasoning: Double? = nil) {
        self.input = input
        self.output = output
        self.cachedInput = cachedInput
        self.reasoning = reasoning
    }

    /// What the `cost` strategy compares: input plus output per million tokens (a request's
    /// own token mix is unknown before it runs).
    public var blended: Double { input + output }
}
