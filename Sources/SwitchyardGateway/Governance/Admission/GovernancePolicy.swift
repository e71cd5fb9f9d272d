import SwitchyardConfig
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardPosix

/// One config generation's budgets and rate limits over the process's ledger: which scopes a
/// request counts against, what it is estimated to cost, and what it really cost at the end.
/// Nil on `GatewayServices` when neither `budgets:` nor `rate_limits:` is configured and keys
/// are not required (a key's own budget and limits, set through the admin API, need it), so the
/// open request path pays one nil check. Immutable; read by every loop.
final class GovernancePolicy: Sendable {
    /// What a route counts against. Generations reserve budget and tokens; count_tokens only
    /// counts requests and concurrency (it generates nothing); passthrough, files and batches
    /// count requests and concurrency too (their cost is unknown up front).
    enum Admission: Sendable {
        case generation(outputTokens: Bool)
        case requestsOnly
    }

    let ledger: any GovernanceLedger
    let budgets: BudgetsConfig
    let rateLimits: RateLimitsConfig
    let costs: CostTable
    let clock: LedgerClock
    /// The scopes of the models named in `rate_limits.models`, built once (a generation's).
    private let modelScopes: [String: LedgerScope]

    init?(config: GatewayConfig, ledger: any GovernanceLedger, clock: LedgerClock) {
        guard !config.budgets.isEmpty || !config.rateLimits.isEmpty || config.keys.required else { return nil }
        self.ledger = ledger
        self.budgets = config.budgets
        self.rateLimits = config.rateLimits
        self.costs = CostTable(config.pricing)
        self.clock = clock
        modelScopes = config.rateLimits.models.named.reduce(into: [:]) { scopes, entry in
            scopes[entry.key] = LedgerScope(kind: .model, name: entry.key, budget: nil, limits: entry.value)
        }
    }

    /// The scopes of a request (docs/governance.md): the caller's key, user and team, and the
    /// model as requested (under its own `rate_limits.models` entry, else the shared `default`);
    /// those with nothing configured are left out.
    func scopes(caller: Caller?, model: String, admission: Admission) -> [LedgerScope] {
        var scopes: [LedgerScope] = []
        let withBudget: Bool
        if case .generation = admission { withBudget = true } else { withBudget = false }
        func add(_ kind: LedgerScope.Kind, _ name: String, _ budget: SpendLimit?, _ limits: RateLimitSettings?, label: String? = nil) {
            var limits = limits
            if !withBudget { limits?.tokensPerMinute = nil }
            if limits?.isEmpty == true { limits = nil }
            let budget = withBudget ? budget : nil
            guard budget != nil || limits != nil else { return }
            scopes.append(LedgerScope(kind: kind, name: name, budget: budget, limits: limits, label: label))
        }
        if let caller {
            // The master key is the operator's: only its own entries apply, not `keys.default`.
            let budget = caller.budget ?? (caller.isMaster ? budgets.keys.named[caller.keyID] : budgets.keys.setting(for: caller.keyID))
            let limits = caller.limits ?? (caller.isMaster ? rateLimits.keys.named[caller.keyID] : rateLimits.keys.setting(for: caller.keyID))
            add(.key, caller.keyID, budget, limits, label: "key \(caller.keyID) (\(caller.keyPrefix)…)")
            if let user = caller.user { add(.user, user, budgets.users.setting(for: user), rateLimits.users.setting(for: user)) }
            if let team = caller.team { add(.team, team, budgets.teams.setting(for: team), rateLimits.teams.setting(for: team)) }
        }
        // A model counts under the `rate_limits.models` entry it matched: its own name, or
        // `default` shared by every model without an entry. Never under the name as sent for
        // the default: with a wildcard provider each new name would add counters for good.
        if withBudget, let scope = modelScopes[model] {
            scopes.append(scope)
        } else if !model.isEmpty {
            if let limits = rateLimits.models.named[model] {
                add(.model, model, nil, limits)
            } else if let limits = rateLimits.models.fallback {
                add(.model, ScopedSettings<RateLimitSettings>.defaultName, nil, limits, label: "models without their own entry (rate_limits.models.default)")
            }
        }
        return scopes
    }

    /// Checks and counts the request; `then` gets the decision on `loop` (inline for the local
    /// ledger). No scope applies: admitted with nothing to settle (`nil`).
    func admit(_ plan: ExecutionPlan, request http: HTTPRequest, admission: Admission, on loop: EventLoop,
               then: @escaping (Result<(any Settlement)?, GatewayError>) -> Void) {
        let body = http.body
        let model = plan.passthrough == nil ? plan.resolution.requested : ""
        // The caller comes only from the key the request authenticated with (never from what
        // the request says about itself): nil on an open gateway, which counts only the model.
        let scopes = scopes(caller: plan.caller, model: model, admission: admission)
        guard !scopes.isEmpty else { return then(.success(nil)) }
        var cost: Micros = 0
        var tokens = 0
        if case .generation(let withOutput) = admission {
            let prompt = (body.count + 3) / 4
            let output = withOutput ? Self.outputAllowance(body) ?? budgets.defaultOutputTokens : 0
            tokens = prompt + output
            if scopes.contains(where: { $0.budget != nil }) {
                cost = costs.estimate(upstreamModels: plan.attempts.map(\.upstreamModel), promptTokens: prompt, outputTokens: output)
            }
        }
        let request = AdmissionRequest(requestID: plan.requestID, scopes: scopes, estimatedCost: cost, estimatedTokens: tokens, now: clock.now())
        ledger.admit(request, on: loop) { decision in
            switch decision {
            case .admitted(let settlement): then(.success(settlement))
            case .refused(let error): then(.failure(error))
            }
        }
    }

    /// The request's own output cap: the largest of max_tokens, max_completion_tokens and
    /// max_output_tokens present at the top level of its body (read without decoding the body).
    /// The largest, not the first: a provider may honour any of them, so a small one beside a
    /// large one must not shrink the reservation.
    static func outputAllowance(_ body: [UInt8]) -> Int? {
        body.withUnsafeBytes { raw -> Int? in
            guard let scan = try? TopLevelScan(raw) else { return nil }
            var largest: Int?
            for key in ["max_tokens", "max_completion_tokens", "max_output_tokens"] {
                guard let range = scan.range(of: key), !range.isEmpty, range.count <= 12 else { continue }
                var value = 0
                var digits = true
                for byte in raw[range] {
                    guard byte >= 0x30 && byte <= 0x39 else { digits = false; break }
                    value = value * 10 + Int(byte - 0x30)
                }
                if digits { largest = max(largest ?? 0, value) }
            }
            return largest
        }
    }

    /// Settles a request at its end (the access log): its real cost from the usage counts and
    /// the upstream model of the attempt that answered; 0 without usage.
    func cost(upstreamModel: String, _ counts: UsageCounts?) -> (cost: Micros, tokens: Int) {
        guard let counts else { return (0, 0) }
        return (costs.cost(upstreamModel: upstreamModel, counts), max(0, counts.prompt ?? 0) + max(0, counts.completion ?? 0))
    }

    /// The upstream models some provider serves that `pricing:` does not price (they cost 0 to
    /// budgets); logged at start when budgets are configured.
    static func unpricedModels(_ config: GatewayConfig) -> [String] {
        guard !config.budgets.isEmpty else { return [] }
        var unpriced = Set<String>()
        for provider in config.providers {
            for model in provider.models where model != "*" {
                let upstream = provider.upstreamModels[model] ?? model
                if config.pricing.models[upstream] == nil { unpriced.insert(upstream) }
            }
        }
        return unpriced.sorted()
    }
}
