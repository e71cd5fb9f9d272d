/// The orderings of the strategies that need no request input: pure functions of the targets
/// (their weights, latency averages, prices) and a random source.
enum StrategyOrder {
    /// Weighted order without replacement: the first picked at random by weight, then the next
    /// among the rest by weight, and so on.
    static func weighted(_ targets: [RouteTarget], random: inout some RandomNumberGenerator) -> [RouteTarget] {
        var left = targets
        var ordered: [RouteTarget] = []
        ordered.reserveCapacity(targets.count)
        while !left.isEmpty {
            var pick = Int.random(in: 0..<max(left.reduce(0) { $0 + $1.weight }, 1), using: &random)
            var index = 0
            while index < left.count - 1, pick >= left[index].weight {
                pick -= left[index].weight
                index += 1
            }
            ordered.append(left.remove(at: index))
        }
        return ordered
    }

    /// Lowest latency average first; a target without samples counts as fastest (so it gets
    /// some); ties keep config order. With probability `exploration` a random other target goes
    /// first, so a target that has recovered is noticed.
    static func leastLatency(_ targets: [RouteTarget], exploration: Double, random: inout some RandomNumberGenerator) -> [RouteTarget] {
        var ordered = targets.enumerated().sorted { lhs, rhs in
            let (a, b) = (lhs.element.health.averageLatency, rhs.element.health.averageLatency)
            return a != b ? a < b : lhs.offset < rhs.offset
        }.map(\.element)
        if ordered.count > 1, exploration > 0, Double.random(in: 0..<1, using: &random) < exploration {
            let chosen = Int.random(in: 1..<ordered.count, using: &random)
            ordered.insert(ordered.remove(at: chosen), at: 0)
        }
        return ordered
    }

    /// Priced targets cheapest first (ties in config order), and the unpriced ones.
    static func cheapest(_ targets: [RouteTarget], prices: [Double?]) -> (priced: [RouteTarget], unpriced: [RouteTarget]) {
        let priced = zip(targets, prices).enumerated().compactMap { offset, pair in pair.1.map { (offset, pair.0, $0) } }
            .sorted { $0.2 != $1.2 ? $0.2 < $1.2 : $0.0 < $1.0 }.map(\.1)
        let unpriced = zip(targets, prices).filter { $0.1 == nil }.map(\.0)
        return (priced, unpriced)
    }
}
