/// How many lines a runner may put in the gateway's log per second (its plugin's log calls and
/// what it writes to stdout/stderr together): a plugin printing in a loop must not flood the
/// log nor keep the supervisor thread busy writing it. Past the budget lines are counted, and
/// the next second starts with one line saying how many were dropped.
///
/// Threading: the supervisor thread's only.
struct LogBudget {
    static let linesPerSecond = 200

    private var windowStart: UInt64 = 0
    private var used = 0
    private var dropped = 0

    enum Decision: Equatable {
        /// Log the line; `dropped` lines were suppressed just before it (say so first when > 0).
        case log(dropped: Int)
        case drop
    }

    /// Lines dropped in a second that has ended (0 otherwise), to be reported now: a flood that
    /// stopped is still reported without waiting for another line.
    mutating func overdue(now: UInt64) -> Int {
        guard dropped > 0, now &- windowStart >= 1_000_000_000 else { return 0 }
        defer { dropped = 0 }
        return dropped
    }

    mutating func admit(now: UInt64) -> Decision {
        var before = 0
        if now &- windowStart >= 1_000_000_000 {
            windowStart = now
            used = 0
            before = dropped
            dropped = 0
        }
        guard used < Self.linesPerSecond else {
            dropped += 1
            return .drop
        }
        used += 1
        return .log(dropped: before)
    }
}
