import SwitchyardCore
import SwitchyardJSON
import SwitchyardPosix

/// What the admin API shows of budgets: each budget scope's spend in its current period.
/// `GET /admin/keys/{id}` adds `spend` with `spendJSON(for:on:then:)`; `GET /admin/budgets?
/// scope=user:alice` answers `spendJSON(scope:on:then:)`. Both answer on `loop`.
extension GovernancePolicy {
    /// The budget scopes of `caller` (its key, its user, its team) with their spend now:
    /// `[{"scope","period","limit","spent","reserved","remaining","currency","resets_at"}]`,
    /// amounts in the currency's units as decimal text-free numbers (e.g. 0.012345).
    func spendJSON(for caller: Caller, on loop: EventLoop, then: @escaping (JSONValue) -> Void) {
        let scopes = scopes(caller: caller, model: "", admission: .generation(outputTokens: true)).filter { $0.budget != nil }
        ledger.spend(of: scopes, now: clock.now(), on: loop) { [currency = costs.currency] spends in
            then(.array(spends.map { Self.json($0, currency: currency) }))
        }
    }

    /// One scope by its id (`key:key_abc`, `user:alice`, `team:research`): a key under its own
    /// budget (`keyBudget`, the admin API's, looked up by the caller of this) else the configured
    /// ones, like a request's scopes; false for a malformed id.
    func spendJSON(scope id: String, keyBudget: SpendLimit? = nil, on loop: EventLoop, then: @escaping (JSONValue) -> Void) -> Bool {
        guard let colon = id.firstIndex(of: ":"), let kind = LedgerScope.Kind(rawValue: String(id[..<colon])), kind != .model else { return false }
        let name = String(id[id.index(after: colon)...])
        guard !name.isEmpty else { return false }
        let budget: SpendLimit? = switch kind {
        case .key: keyBudget ?? (name == Caller.masterKeyID ? budgets.keys.named[name] : budgets.keys.setting(for: name))
        case .user: budgets.users.setting(for: name)
        case .team: budgets.teams.setting(for: name)
        case .model: nil
        }
        let scopes = budget.map { [LedgerScope(kind: kind, name: name, budget: $0, limits: nil)] } ?? []
        ledger.spend(of: scopes, now: clock.now(), on: loop) { [currency = costs.currency] spends in
            then(.object(JSONObject([("scope", .string(id)), ("budgets", .array(spends.map { Self.json($0, currency: currency) }))])))
        }
        return true
    }

    static func json(_ spend: ScopeSpend, currency: String) -> JSONValue {
        .object(JSONObject([
            ("scope", .string(spend.scope)),
            ("period", .string(spend.period.rawValue)),
            ("currency", .string(currency)),
            ("limit", .number(Money.text(spend.limit))),
            ("spent", .number(Money.text(spend.spent))),
            ("reserved", .number(Money.text(spend.reserved))),
            ("remaining", .number(Money.text(max(0, spend.limit - spend.spent - spend.reserved)))),
            ("spent_micros", .number(String(spend.spent))),
            ("reserved_micros", .number(String(spend.reserved))),
            ("resets_at", spend.resetsAt.map { .number(String($0)) } ?? .null),
        ]))
    }
}
