import SwitchyardCore
import SwitchyardPosix

/// A batch's cost against its creator's budgets (docs/governance.md#batches). A batch is
/// admitted like a request that only counts (its cost is unknown when it is created); its cost
/// is charged once, when its usage is recorded (`BatchUsageLedger.insertRows` inserted its rows:
/// the first look at it ended), the sum of its result lines' discounted costs, the numbers its
/// usage records carry. Creating one is refused while a budget of its creator is used up.
///
/// Threading: on the loop that recorded the usage or took the request; the ledger answers there.
extension GovernancePolicy {
    /// The budget scopes of a batch's creator, as a request of theirs would count now: the key's
    /// own budget (the registry's record, `keys`) else `budgets.keys`, the user's, the team's.
    /// Empty for a batch of an open gateway (no creator).
    func budgetScopes(ofCreator keyID: String?, user: String?, team: String?, keys: KeyRegistry?) -> [LedgerScope] {
        guard let keyID else { return [] }
        let key = keys?.key(id: keyID)
        let caller = Caller(keyID: keyID, keyPrefix: key?.prefix ?? keyID, user: user, team: team, budget: key?.budget)
        return budgetScopes(of: caller)
    }

    func budgetScopes(of caller: Caller) -> [LedgerScope] {
        scopes(caller: caller, model: "", admission: .generation(outputTokens: true)).filter { $0.budget != nil }
    }

    /// What a batch's lines cost with the provider's batch discount, each priced as its usage
    /// record is (`BatchLineRecords`).
    func batchCost(_ lines: [BatchLineUsage], discount: Double) -> Micros {
        lines.reduce(0) { $0 + costs.cost(upstreamModel: $1.model, $1.counts, batchDiscount: discount) }
    }

    /// Charges a batch's cost to its creator's budgets; called once per batch, when its usage
    /// was first recorded.
    func chargeBatch(_ batch: BatchRecord, lines: [BatchLineUsage]?, discount: Double, keys: KeyRegistry?, on loop: EventLoop) {
        guard let lines, !lines.isEmpty else { return }
        let scopes = budgetScopes(ofCreator: batch.keyID, user: batch.user, team: batch.team, keys: keys)
        guard !scopes.isEmpty else { return }
        let cost = batchCost(lines, discount: discount)
        guard cost > 0 else { return }
        ledger.charge(cost, to: scopes, now: clock.now(), on: loop)
    }

    /// Refuses a new batch (429 `insufficient_quota`, like a request's budget refusal) when a
    /// budget of `caller` is used up: spent and reserved reach its limit. `then` gets nil to go
    /// on, on `loop`.
    func refuseExhausted(_ caller: Caller?, on loop: EventLoop, then: @escaping (GatewayError?) -> Void) {
        guard let caller else { return then(nil) }
        let scopes = budgetScopes(of: caller)
        guard !scopes.isEmpty else { return then(nil) }
        let now = clock.now()
        ledger.spend(of: scopes, now: now, on: loop) { [currency = costs.currency] spends in
            let seconds = Int64(now / 1_000_000_000)
            for spend in spends where spend.spent + spend.reserved >= spend.limit {
                guard let scope = scopes.first(where: { $0.id == spend.scope }) else { continue }
                return then(LedgerRefusal.budget(scope, scope.budget!, spent: spend.spent, reserved: spend.reserved, currency: currency,
                                                 now: seconds, resetsAt: spend.resetsAt))
            }
            then(nil)
        }
    }
}
