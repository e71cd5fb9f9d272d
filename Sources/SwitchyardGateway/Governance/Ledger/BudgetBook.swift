import SwitchyardCore

/// One scope's budget counters for one period (the local ledger's, under its lock): spent and
/// reserved in the current window, and the older windows that still hold reservations of
/// requests admitted before the period rolled over (their settlement counts there).
struct BudgetBook: Sendable {
    struct Counters: Sendable, Equatable {
        var spent: Micros = 0
        var reserved: Micros = 0
    }

    private(set) var windowStart: Int64
    private(set) var current = Counters()
    /// Windows before `windowStart` with reservations outstanding; dropped when they reach 0.
    private(set) var older: [Int64: Counters] = [:]

    init(windowStart: Int64, spent: Micros = 0) {
        self.windowStart = windowStart
        current.spent = spent
    }

    /// Starts the window `start` when it is later than the current one (a new day or month):
    /// spend starts from 0, outstanding reservations stay with their own window.
    mutating func roll(to start: Int64) {
        guard start > windowStart else { return }
        if current.reserved > 0 { older[windowStart] = current }
        windowStart = start
        current = Counters()
    }

    mutating func reserve(_ amount: Micros) { current.reserved += amount }

    /// Spend without a reservation (`GovernanceLedger.charge`), in the current window.
    mutating func charge(_ cost: Micros) { current.spent += cost }

    /// Takes `reserved` off the window it was reserved in and adds `cost` there.
    mutating func settle(window: Int64, reserved: Micros, cost: Micros) {
        if window == windowStart {
            current.reserved -= reserved
            current.spent += cost
        } else if var counters = older[window] {
            counters.reserved -= reserved
            counters.spent += cost
            older[window] = counters.reserved > 0 ? counters : nil
        }
    }

    /// Reservations of every window (tests: nothing may leak).
    var reservedEverywhere: Micros { older.values.reduce(current.reserved) { $0 + $1.reserved } }
}

/// One scope's rate-limit counters (the local ledger's, under its lock).
struct RateCounters: Sendable {
    var requests = SlidingWindowCounter()
    var tokens = SlidingWindowCounter()
    var inFlight = 0

    /// A request's end: its slot frees, its real tokens count in this minute.
    mutating func settle(slot: Bool, tokens: Int64, minute: Int64) {
        if slot { inFlight -= 1 }
        if tokens > 0 { self.tokens.add(tokens, at: minute) }
    }

    /// Nothing counted at `minute` and no slot held: the sweep may drop these counters.
    func isEmpty(at minute: Int64) -> Bool {
        inFlight == 0 && requests.isEmpty(at: minute) && tokens.isEmpty(at: minute)
    }
}
