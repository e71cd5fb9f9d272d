import Testing

@testable import SwitchyardPlugins

/// A runner's log lines per second are bounded (Isolation/Proxy/LogBudget): past the budget they
/// are dropped and counted, and the count is reported once the second is over.
@Suite struct IsolationLogBudgetTests {
    @Test("the budget per second, then drops counted and reported with the next second's first line")
    func budget() {
        var budget = LogBudget()
        let start: UInt64 = 5_000_000_000
        for index in 0..<LogBudget.linesPerSecond {
            #expect(budget.admit(now: start + UInt64(index)) == .log(dropped: 0))
        }
        for index in 0..<7 { #expect(budget.admit(now: start + 500_000_000 + UInt64(index)) == .drop) }
        #expect(budget.overdue(now: start + 900_000_000) == 0)
        #expect(budget.admit(now: start + 1_000_000_000) == .log(dropped: 7))
        #expect(budget.admit(now: start + 1_000_000_001) == .log(dropped: 0))
    }

    @Test("drops are reported when the second ends even without another line")
    func overdue() {
        var budget = LogBudget()
        for _ in 0...LogBudget.linesPerSecond { _ = budget.admit(now: 1_000_000_000) }
        #expect(budget.overdue(now: 1_500_000_000) == 0)
        #expect(budget.overdue(now: 2_000_000_000) == 1)
        #expect(budget.overdue(now: 3_000_000_000) == 0)
    }
}
