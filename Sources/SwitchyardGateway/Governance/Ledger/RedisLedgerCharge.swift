import SwitchyardCore
import SwitchyardPosix
import SwitchyardRedis

extension RedisLedger {
    /// Adds `cost` to the `sy:spent:` key of each budget scope's current window (the keys the
    /// admission script reads), in one script so every scope counts it or none does. Fire and
    /// forget on `loop` (the client's connection of that loop). Not retried: a retry after a reply
    /// lost on the way back would count the cost twice. When Redis does not take it, the loss is
    /// logged and, under `fail_open`, this replica's own counters (`fallback`, which admit while
    /// Redis is away) count it.
    func charge(_ cost: Micros, to scopes: [LedgerScope], now: UInt64, on loop: EventLoop) {
        guard cost > 0 else { return }
        let seconds = Int64(now / 1_000_000_000)
        var keys: [String] = []
        var arguments = [String(cost)]
        for scope in scopes {
            guard let budget = scope.budget else { continue }
            keys.append(RedisLedgerKeys.spent(scope.id, budget.period, window: PeriodWindow.start(budget.period, at: seconds)))
            arguments.append(String(RedisLedgerAdmission.windowKeysMilliseconds(budget.period, at: seconds)))
        }
        guard !keys.isEmpty else { return }
        client.evaluate(RedisLedgerScripts.charge, keys: keys, arguments: arguments, on: loop) { [self] result in
            if case .success(.integer) = result { return }
            let reason: String
            switch result {
            case .failure(let failure): reason = failure.description
            case .success(let reply): reason = Self.describe(reply)
            }
            log.warn("governance: a charge did not reach redis; \(policy == .failOpen ? "this replica's own counters count it" : "it is not counted")",
                     fields: [("reason", reason), ("cost_micros", String(cost)), ("scopes", keys.joined(separator: ","))])
            if policy == .failOpen { fallback.charge(cost, to: scopes, now: now, on: loop) }
        }
    }
}
