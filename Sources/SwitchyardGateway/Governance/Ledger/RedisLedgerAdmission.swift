import SwitchyardCore
import SwitchyardRedis

/// One admission as the `admit` script takes it (keys and arguments), and its reply read back
/// into a decision with the local ledger's refusals and headers (`LedgerRefusal`,
/// `RateLimitHeaders`, `SlidingWindow`): both ledgers answer the same thing for the same counts.
struct RedisLedgerAdmission {
    let request: AdmissionRequest
    let lease: String
    let leaseExpiryMilliseconds: Int64
    let nowMilliseconds: Int64
    let minute: Int64
    let into: Int64
    let seconds: Int64

    /// The counts one scope had before this request (the script's reply).
    struct Counts: Equatable {
        var inFlight: Int64 = 0
        var requestsPrevious: Int64 = 0
        var requestsCurrent: Int64 = 0
        var tokensPrevious: Int64 = 0
        var tokensCurrent: Int64 = 0
        var spent: Micros = 0
        var reserved: Micros = 0
    }

    init(_ request: AdmissionRequest, lease: String, leaseMilliseconds: Int64) {
        self.request = request
        self.lease = lease
        nowMilliseconds = Int64(request.now / 1_000_000)
        leaseExpiryMilliseconds = nowMilliseconds + leaseMilliseconds
        (minute, into) = SlidingWindow.minute(nowMilliseconds)
        seconds = nowMilliseconds / 1000
    }

    var keys: [String] {
        var keys: [String] = []
        keys.reserveCapacity(request.scopes.count * 9 + 1)
        for scope in request.scopes {
            let id = scope.id
            keys.append(RedisLedgerKeys.concurrency(id))
            keys.append(RedisLedgerKeys.requests(id, minute: minute - 1))
            keys.append(RedisLedgerKeys.requests(id, minute: minute))
            keys.append(RedisLedgerKeys.tokens(id, minute: minute - 1))
            keys.append(RedisLedgerKeys.tokens(id, minute: minute))
            let period = scope.budget?.period ?? .total
            let window = PeriodWindow.start(period, at: seconds)
            keys.append(RedisLedgerKeys.spent(id, period, window: window))
            keys.append(RedisLedgerKeys.reserved(id, period, window: window))
            keys.append(RedisLedgerKeys.reservationLeases(id, period, window: window))
            keys.append(RedisLedgerKeys.reservationAmounts(id, period, window: window))
        }
        // Set when this lease was released before the script ran (RedisLedgerRelease).
        keys.append(RedisLedgerKeys.settled(lease))
        return keys
    }

    var arguments: [String] {
        var arguments = [String(nowMilliseconds), lease, String(leaseExpiryMilliseconds), String(max(0, request.estimatedCost)),
                         String(max(0, request.estimatedTokens)), String(request.scopes.count)]
        for scope in request.scopes {
            arguments.append(String(scope.limits?.concurrency ?? -1))
            arguments.append(String(scope.limits?.requestsPerMinute ?? -1))
            arguments.append(String(scope.limits?.tokensPerMinute ?? -1))
            arguments.append(String(scope.budget?.limit ?? -1))
            arguments.append(String(scope.budget.map { Self.windowKeysMilliseconds($0.period, at: seconds) } ?? -1))
        }
        return arguments
    }

    /// How long a budget window's keys must live from `seconds`: to the window's end and a week
    /// more; -1 (no expiry) for `total`.
    static func windowKeysMilliseconds(_ period: BudgetPeriod, at seconds: Int64) -> Int64 {
        guard let end = PeriodWindow.end(period, at: seconds) else { return -1 }
        return (end - seconds + RedisLedgerKeys.windowKeepSeconds) * 1000
    }

    enum Verdict: Equatable {
        case admitted
        case refused(scope: Int, kind: String)
    }

    /// The script's reply: the verdict and each scope's counts; nil when it is not that shape.
    static func parse(_ reply: RedisReply, scopes: Int) -> (Verdict, [Counts])? {
        guard case .array(let items) = reply, items.count == 2 + scopes * 7,
              case .integer(let refused) = items[0], refused >= 0, refused <= Int64(scopes), let kind = items[1].text else { return nil }
        var numbers: [Int64] = []
        numbers.reserveCapacity(scopes * 7)
        for item in items.dropFirst(2) {
            guard case .integer(let value) = item else { return nil }
            numbers.append(value)
        }
        var counts: [Counts] = []
        for index in 0..<scopes {
            let values = numbers[(index * 7)..<(index * 7 + 7)].map { $0 }
            counts.append(Counts(inFlight: values[0], requestsPrevious: values[1], requestsCurrent: values[2],
                                 tokensPrevious: values[3], tokensCurrent: values[4], spent: values[5], reserved: values[6]))
        }
        return (refused == 0 ? .admitted : .refused(scope: Int(refused) - 1, kind: kind), counts)
    }

    /// The `x-ratelimit-*` standing of every scope, as the local ledger computes it.
    func headers(_ counts: [Counts]) -> RateLimitHeaders {
        var headers = RateLimitHeaders()
        for (scope, count) in zip(request.scopes, counts) {
            guard let limits = scope.limits else { continue }
            if let rpm = limits.requestsPerMinute.map(Int64.init) {
                let admits = SlidingWindow.admits(previous: count.requestsPrevious, current: count.requestsCurrent, into: into, adding: 1, limit: rpm)
                let after = admits ? count.requestsCurrent + 1 : count.requestsCurrent
                headers.noteRequests(.init(
                    limit: rpm, remaining: SlidingWindow.remaining(previous: count.requestsPrevious, current: after, into: into, limit: rpm),
                    resetMilliseconds: SlidingWindow.untilEmpty(previous: count.requestsPrevious, current: after, into: into)))
            }
            if let tpm = limits.tokensPerMinute.map(Int64.init) {
                headers.noteTokens(.init(
                    limit: tpm, remaining: SlidingWindow.remaining(previous: count.tokensPrevious, current: count.tokensCurrent, into: into, limit: tpm),
                    resetMilliseconds: SlidingWindow.untilEmpty(previous: count.tokensPrevious, current: count.tokensCurrent, into: into)))
            }
        }
        return headers
    }

    /// The 429 the local ledger would give for this refusal.
    func refusal(scope index: Int, kind: String, counts: [Counts], currency: String) -> GatewayError {
        let scope = request.scopes[index]
        let count = counts[index]
        let headers = headers(counts)
        switch kind {
        case "concurrency":
            return LedgerRefusal.concurrency(scope, limit: scope.limits?.concurrency ?? 0, headers: headers)
        case "rpm":
            let rpm = Int64(scope.limits?.requestsPerMinute ?? 0)
            let wait = SlidingWindow.wait(previous: count.requestsPrevious, current: count.requestsCurrent, into: into, adding: 1, limit: rpm)
            return LedgerRefusal.requestsPerMinute(scope, limit: rpm, waitMilliseconds: wait, headers: headers)
        case "tpm":
            let tpm = Int64(scope.limits?.tokensPerMinute ?? 0)
            let wait = SlidingWindow.wait(previous: count.tokensPrevious, current: count.tokensCurrent, into: into,
                                          adding: Int64(request.estimatedTokens), limit: tpm)
            return LedgerRefusal.tokensPerMinute(scope, limit: tpm, waitMilliseconds: wait, headers: headers)
        default:
            let budget = scope.budget ?? SpendLimit(limit: 0, period: .total)
            return LedgerRefusal.budget(scope, budget, spent: count.spent, reserved: count.reserved, currency: currency, now: seconds,
                                        resetsAt: PeriodWindow.end(budget.period, at: seconds))
        }
    }
}
