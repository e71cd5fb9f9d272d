@testable import SwitchyardGateway
import SwitchyardCore
import SwitchyardPosix
import Testing

/// The pure arithmetic both ledgers share: sliding windows, UTC period windows, header text.
@Suite struct LedgerArithmeticTests {
    @Test("the sliding window weighs the previous minute by the share still inside the last 60 s")
    func slidingWindow() {
        // 3 last minute, 0 this minute, 20 s in: 3 × 40/60 = 2.
        #expect(SlidingWindow.scaledCount(previous: 3, current: 0, into: 20_000) == 2 * 60_000)
        #expect(SlidingWindow.admits(previous: 3, current: 0, into: 20_000, adding: 1, limit: 3))
        #expect(!SlidingWindow.admits(previous: 3, current: 0, into: 19_999, adding: 1, limit: 3))
        #expect(SlidingWindow.remaining(previous: 3, current: 0, into: 30_000, limit: 3) == 1)  // 1.5 counted
        // Within the minute, as the previous minute slides out: 3 × (60 − s)/60 ≤ 2 at s = 20.
        #expect(SlidingWindow.wait(previous: 3, current: 0, into: 0, adding: 1, limit: 3) == 20_000)
        #expect(SlidingWindow.wait(previous: 3, current: 0, into: 25_000, adding: 1, limit: 3) == 0)
        // This minute full: the next minute, once this minute's 3 weigh ≤ 2 (20 s into it).
        #expect(SlidingWindow.wait(previous: 0, current: 3, into: 50_000, adding: 1, limit: 3) == 10_000 + 20_000)
        // More than the whole limit waits for an empty window.
        #expect(SlidingWindow.wait(previous: 0, current: 5, into: 0, adding: 100, limit: 10) == 120_000)
        #expect(SlidingWindow.admits(previous: 0, current: 0, into: 0, adding: 100, limit: 10, alwaysWhenEmpty: true))
        #expect(!SlidingWindow.admits(previous: 0, current: 1, into: 0, adding: 100, limit: 10, alwaysWhenEmpty: true))
        #expect(SlidingWindow.untilEmpty(previous: 1, current: 0, into: 15_000) == 45_000)
        #expect(SlidingWindow.untilEmpty(previous: 1, current: 1, into: 15_000) == 105_000)
    }

    @Test("a counter rolls: the minute after keeps the count as previous, a later one forgets")
    func counterRolls() {
        var counter = SlidingWindowCounter()
        counter.add(4, at: 100)
        counter.roll(to: 101)
        #expect((counter.previous, counter.current) == (4, 0))
        counter.add(1, at: 101)
        counter.roll(to: 103)
        #expect((counter.previous, counter.current) == (0, 0))
    }

    @Test("UTC days and months, Dec to Jan and leap years", arguments: [
        // (instant, period, start, end)
        (1_709_164_800 + 3_600, BudgetPeriod.daily, 1_709_164_800, 1_709_251_200),      // 2024-02-29 01:00
        (1_709_164_800 + 3_600, BudgetPeriod.monthly, 1_706_745_600, 1_709_251_200),    // Feb 2024 has 29 days
        (1_798_761_599, BudgetPeriod.monthly, 1_796_083_200, 1_798_761_600),            // 2026-12-31 23:59:59 → 2027-01-01
        (1_798_761_600, BudgetPeriod.monthly, 1_798_761_600, 1_798_761_600 + 31 * 86_400),  // 2027-01-01 00:00 starts January
        (1_798_761_599, BudgetPeriod.daily, 1_798_675_200, 1_798_761_600),
        (4_105_123_200 + 100, BudgetPeriod.monthly, 4_105_123_200, 4_107_542_400),       // Feb 2100: 28 days (not a leap year)
        (951_782_400 + 5, BudgetPeriod.monthly, 951_782_400 - 28 * 86_400, 951_782_400 + 86_400),  // Feb 2000: 29 days
    ] as [(Int64, BudgetPeriod, Int64, Int64)])
    func periods(instant: Int64, period: BudgetPeriod, start: Int64, end: Int64) {
        #expect(PeriodWindow.start(period, at: instant) == start)
        #expect(PeriodWindow.end(period, at: instant) == end)
    }

    @Test("total has one window and no end")
    func total() {
        #expect(PeriodWindow.start(.total, at: 1_798_761_599) == 0)
        #expect(PeriodWindow.end(.total, at: 1_798_761_599) == nil)
    }

    @Test("days and civil dates are inverses over four centuries")
    func civilRoundTrip() {
        for day in stride(from: Int64(-50_000), through: 100_000, by: 7) {
            let date = CivilCalendar.date(daysSinceEpoch: day)
            #expect(CivilCalendar.days(year: date.year, month: date.month, day: date.day) == day)
        }
        #expect(CivilCalendar.date(daysSinceEpoch: 0) == (1970, 1, 1))
        #expect(CivilCalendar.date(daysSinceEpoch: -1) == (1969, 12, 31))
    }

    @Test("OpenAI's duration text and Retry-After", arguments: [
        (250, "250ms"), (0, "0ms"), (1000, "1s"), (1001, "2s"), (360_000, "6m0s"), (3_723_000, "1h2m3s"),
    ] as [(Int64, String)])
    func durations(milliseconds: Int64, text: String) {
        #expect(RateLimitHeaders.duration(milliseconds: milliseconds) == text)
    }

    @Test("money text")
    func money() {
        #expect(Money.text(5_000_000) == "5.00")
        #expect(Money.text(150) == "0.00015")
        #expect(Money.text(123_456_789) == "123.456789")
        #expect(RateLimitHeaders.retryAfterSeconds(milliseconds: 1) == 1)
        #expect(RateLimitHeaders.retryAfterSeconds(milliseconds: 0) == 1)
        #expect(RateLimitHeaders.retryAfterSeconds(milliseconds: 2001) == 3)
    }
}
