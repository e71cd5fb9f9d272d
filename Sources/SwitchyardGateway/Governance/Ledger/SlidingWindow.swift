/// Requests and tokens per minute as a sliding window made of two fixed one-minute windows
/// aligned to the Unix minute (docs/governance.md#rate-limits): the count at a moment is the
/// previous minute's total weighted by the share of it still inside the last 60 s, plus the
/// current minute's total. Pure integer arithmetic in milliseconds, so the local and the Redis
/// ledger compute the same numbers; the weighted count is kept scaled by 60,000 (one minute in
/// ms) to stay exact.
enum SlidingWindow {
    static let minuteMilliseconds: Int64 = 60_000

    /// The Unix minute `unixMilliseconds` falls in, and how far into it.
    static func minute(_ unixMilliseconds: Int64) -> (minute: Int64, into: Int64) {
        (unixMilliseconds / minuteMilliseconds, unixMilliseconds % minuteMilliseconds)
    }

    /// The count × 60,000: previous × (60,000 − into) + current × 60,000.
    static func scaledCount(previous: Int64, current: Int64, into: Int64) -> Int64 {
        previous * (minuteMilliseconds - into) + current * minuteMilliseconds
    }

    /// True when `adding` more fit under `limit`. `alwaysWhenEmpty`: tokens per minute admit a
    /// request bigger than the whole limit when nothing is counted (it runs alone).
    static func admits(previous: Int64, current: Int64, into: Int64, adding: Int64, limit: Int64, alwaysWhenEmpty: Bool = false) -> Bool {
        let scaled = scaledCount(previous: previous, current: current, into: into)
        if alwaysWhenEmpty && scaled == 0 { return true }
        return scaled + adding * minuteMilliseconds <= limit * minuteMilliseconds
    }

    /// What is left under `limit` now (whole units, rounded down; never negative).
    static func remaining(previous: Int64, current: Int64, into: Int64, limit: Int64) -> Int64 {
        let scaled = scaledCount(previous: previous, current: current, into: into)
        return max(0, (limit * minuteMilliseconds - scaled) / minuteMilliseconds)
    }

    /// Milliseconds until `adding` more fit under `limit` (0 when they fit now). More than the
    /// limit waits for the count to reach 0.
    static func wait(previous: Int64, current: Int64, into: Int64, adding: Int64, limit: Int64) -> Int64 {
        let allowed = limit - min(adding, limit)  // the count that still admits `adding`
        if current <= allowed {
            // Within this minute, as the previous minute's share slides out.
            guard previous > 0, scaledCount(previous: previous, current: current, into: into) > allowed * minuteMilliseconds else { return 0 }
            let at = minuteMilliseconds - (allowed - current) * minuteMilliseconds / previous
            return max(0, at - into)
        }
        // In the next minute, as this minute's count slides out.
        let at = minuteMilliseconds - allowed * minuteMilliseconds / current
        return (minuteMilliseconds - into) + max(0, at)
    }

    /// Milliseconds until the count is back to 0 (the `x-ratelimit-reset-*` headers).
    static func untilEmpty(previous: Int64, current: Int64, into: Int64) -> Int64 {
        if current > 0 { return 2 * minuteMilliseconds - into }
        return previous > 0 ? minuteMilliseconds - into : 0
    }
}

/// One scope's counts for the two windows (the local ledger's; Redis keeps the same two numbers
/// under keys named by minute).
struct SlidingWindowCounter: Sendable {
    private(set) var minute: Int64 = 0
    private(set) var previous: Int64 = 0
    private(set) var current: Int64 = 0

    /// Moves the windows to `minute`: the current one becomes the previous when it is the
    /// minute just before, both empty when it is older.
    mutating func roll(to minute: Int64) {
        guard minute != self.minute else { return }
        previous = minute == self.minute + 1 ? current : 0
        current = 0
        self.minute = minute
    }

    /// Nothing counted in either window at `minute` (an earlier minute: only when both are 0).
    func isEmpty(at minute: Int64) -> Bool {
        if minute >= self.minute + 2 { return true }
        if minute == self.minute + 1 { return current == 0 }
        return current == 0 && previous == 0
    }

    mutating func add(_ amount: Int64, at minute: Int64) {
        roll(to: minute)
        // Saturating: an upstream's usage is not trusted, and the scaled count (× 60,000) must
        // not overflow (2^42 × 60,000 × 2 < Int64.max).
        current = min(Self.ceiling, current + min(amount, Self.ceiling))
    }

    /// More than any minute of real traffic; keeps the window's arithmetic in range.
    static let ceiling: Int64 = 1 << 42
}
