import SwitchyardConfig
import SwitchyardCore

/// What requests cost, from the `pricing:` catalog (prices per million tokens by upstream model
/// name): a price per million tokens is a price per token in millionths of the currency, so a
/// cost in `Micros` is tokens × price. Budgets reserve `estimate` and settle `cost`; usage
/// records store `cost`. A model without a price costs 0 (the gateway logs such models at start
/// when budgets are configured).
struct CostTable: Sendable {
    let currency: String
    private let prices: [String: ModelPrice]

    init(_ catalog: PricingCatalog) {
        currency = catalog.currency
        prices = catalog.models
    }

    func price(upstreamModel: String) -> ModelPrice? { prices[upstreamModel] }

    /// The real cost of a request's usage. Prompt tokens include the cached ones and completion
    /// tokens the reasoning ones (docs/canonical.md); each part is priced at its own rate when
    /// the catalog has one. `batchDiscount`: the share a batch takes off (0.5 = half price).
    func cost(upstreamModel: String, _ counts: UsageCounts, batchDiscount: Double = 0) -> Micros {
        guard let price = prices[upstreamModel] else { return 0 }
        let prompt = max(0, counts.prompt ?? 0)
        let cached = min(prompt, max(0, counts.cached ?? 0))
        let completion = max(0, counts.completion ?? 0)
        let reasoning = min(completion, max(0, counts.reasoning ?? 0))
        var total = Double(prompt - cached) * price.input + Double(cached) * (price.cachedInput ?? price.input)
        total += Double(completion - reasoning) * price.output + Double(reasoning) * (price.reasoning ?? price.output)
        let micros = (total * (1 - batchDiscount)).rounded()
        return micros >= Double(Micros.max) ? Micros.max : Micros(micros)  // saturating: counts come from upstreams
    }

    /// What a request may cost at most, reserved before it runs: its prompt estimate at the
    /// input price plus its output allowance at the output price, for the dearest of `models`
    /// (a fallback may go to any of them).
    func estimate(upstreamModels models: [String], promptTokens: Int, outputTokens: Int) -> Micros {
        var dearest: Micros = 0
        for model in models {
            guard let price = prices[model] else { continue }
            let cost = Double(promptTokens) * price.input + Double(outputTokens) * max(price.output, price.reasoning ?? 0)
            dearest = max(dearest, Micros(cost.rounded(.up)))
        }
        return dearest
    }
}
