import CSwitchyardPlugin
import SwitchyardConfig
import SwitchyardCore
import SwitchyardPlugins
import Testing
@testable import SwitchyardGateway

/// The breaker's state machine against an explicit clock (nanoseconds passed to each call).
@Suite struct TargetHealthTests {
    static let second: UInt64 = 1_000_000_000

    func health(_ change: (inout BreakerSettings) -> Void = { _ in }) -> TargetHealth {
        var settings = BreakerSettings()
        change(&settings)
        return TargetHealth(provider: "p", model: "m", policy: BreakerPolicy(settings))
    }

    @Test func consecutiveFailuresOpenItAndOnlyOnce() {
        let target = health()
        let start = 1000 * Self.second
        for _ in 0..<4 { #expect(target.record(.failure, latency: 0, now: start) == nil) }
        #expect(target.record(.failure, latency: 0, now: start) == .opened)
        #expect(target.state == .open)
        #expect(target.record(.failure, latency: 0, now: start) == nil)  // already open: no second transition
        #expect(!target.admits(start + 29 * Self.second))
        #expect(target.secondsUntilProbe(now: start + 10 * Self.second) == 20)
    }

    @Test func aSuccessResetsTheRunOfFailures() {
        let target = health()
        let now = 1000 * Self.second
        for _ in 0..<4 { target.record(.failure, latency: 0, now: now) }
        target.record(.success, latency: 0, now: now)
        for _ in 0..<4 { target.record(.failure, latency: 0, now: now) }
        #expect(target.state == .closed)
    }

    @Test func aFailureRateOverTheWindowOpensIt() {
        let target = health { $0.consecutiveFailures = 1000 }
        let now = 1000 * Self.second
        for index in 0..<19 { target.record(index % 2 == 0 ? .failure : .success, latency: 0, now: now) }
        #expect(target.state == .closed)  // 19 requests: under the minimum of 20
        #expect(target.record(.success, latency: 0, now: now) == nil)
        #expect(target.record(.failure, latency: 0, now: now) == .opened)  // 11 of 21 failed
    }

    @Test func failuresOlderThanTheWindowDoNotCount() {
        let target = health { $0.consecutiveFailures = 1000 }
        let start = 1000 * Self.second
        for _ in 0..<15 { target.record(.failure, latency: 0, now: start) }
        target.record(.success, latency: 0, now: start)
        for _ in 0..<10 { target.record(.failure, latency: 0, now: start + 40 * Self.second) }
        #expect(target.state == .closed)
    }

    @Test func afterTheCoolDownOneProbeGoesThroughAndItsSuccessCloses() {
        let target = health()
        let start = 1000 * Self.second
        for _ in 0..<5 { target.record(.failure, latency: 0, now: start) }
        let later = start + 30 * Self.second
        #expect(target.admit(later) == .probe)
        #expect(target.state == .halfOpen)
        #expect(!target.admits(later))  // one probe at a time
        #expect(target.record(.success, admission: .probe, latency: 0, now: later) == .closed)
        #expect(target.state == .closed && target.consecutiveFailures == 0)
        #expect(target.admits(later))
    }

    @Test func aFailedProbeReopensWithADoubledCoolDownUpToTheCap() {
        let target = health { $0.maxCoolDown = .seconds(100) }
        var now = 1000 * Self.second
        for _ in 0..<5 { target.record(.failure, latency: 0, now: now) }
        for expected in [60, 100, 100] as [UInt64] {
            now += 30 * Self.second
            while !target.admits(now) { now += Self.second }
            #expect(target.record(.failure, admission: .probe, latency: 0, now: now) == .reopened)
            #expect(!target.admits(now + (expected - 1) * Self.second))
            #expect(target.admits(now + expected * Self.second))
            now += expected * Self.second
            target.record(.neutral, admission: .probe, latency: 0, now: now)
            _ = now
        }
    }

    @Test func aProbeThatNeverReportsIsGivenUpAfterTheCoolDown() {
        let target = health()
        let start = 1000 * Self.second
        for _ in 0..<5 { target.record(.failure, latency: 0, now: start) }
        #expect(target.admits(start + 30 * Self.second))  // a fallback never tried: no report
        #expect(!target.admits(start + 31 * Self.second))
        #expect(target.admits(start + 61 * Self.second))
    }

    @Test func aNeutralOutcomeGivesTheProbeSlotBack() {
        let target = health()
        let start = 1000 * Self.second
        for _ in 0..<5 { target.record(.failure, latency: 0, now: start) }
        #expect(target.admits(start + 30 * Self.second))
        target.record(.neutral, admission: .probe, latency: 0, now: start + 30 * Self.second)
        #expect(target.state == .halfOpen)
        #expect(target.admits(start + 30 * Self.second))
    }

    @Test func thePlannersLookClaimsNoProbe() {
        let target = health()
        let start = 1000 * Self.second
        for _ in 0..<5 { target.record(.failure, latency: 0, now: start) }
        #expect(!target.mayAdmit(start + 29 * Self.second))  // open, cooling down
        for _ in 0..<3 { #expect(target.mayAdmit(start + 30 * Self.second)) }
        #expect(target.state == .open)  // looking claimed nothing
        #expect(target.admit(start + 30 * Self.second) == .probe)
        #expect(!target.mayAdmit(start + 30 * Self.second))  // the one probe is out
        #expect(target.mayAdmit(start + 60 * Self.second))  // given up after the cool-down
    }

    @Test func aClosedBreakerAdmitsNormalTriesAndOnlyTheOpenOneIsOpen() {
        let target = health()
        #expect(target.admit(1) == .normal && !target.isOpen)
        for _ in 0..<5 { target.record(.failure, latency: 0, now: 1) }
        #expect(target.isOpen && target.admit(2) == nil)
        #expect(target.admit(31 * Self.second) == .probe && !target.isOpen)  // half-open is not open
    }

    @Test func lateOutcomesOfTriesAdmittedBeforeItOpenedDoNotMoveAHalfOpenBreaker() {
        let target = health()
        let start = 1000 * Self.second
        for _ in 0..<5 { target.record(.failure, latency: 0, now: start) }
        let later = start + 30 * Self.second
        #expect(target.admit(later) == .probe)
        #expect(target.record(.failure, admission: .normal, latency: 0, now: later) == nil)  // no reopen
        #expect(target.state == .halfOpen)
        #expect(target.record(.success, admission: .normal, latency: 0, now: later) == nil)  // no close
        #expect(target.state == .halfOpen)
        target.record(.neutral, admission: .normal, latency: 0, now: later)
        #expect(!target.admits(later))  // the real probe still holds its slot
        #expect(target.record(.failure, admission: .probe, latency: 0, now: later) == .reopened)
        #expect(!target.admits(later + 59 * Self.second))  // cool-down doubled once, not twice
        #expect(target.admits(later + 60 * Self.second))
    }

    @Test func breakerOffAlwaysAdmitsButKeepsLatency() {
        let target = TargetHealth(provider: "p", model: "m", policy: nil)
        for _ in 0..<100 { #expect(target.record(.failure, latency: 0, now: 1) == nil) }
        #expect(target.admits(1))
        target.record(.success, latency: 100, now: 1)
        target.record(.success, latency: 200, now: 1)
        #expect(abs(target.averageLatency - 130) < 0.001)
    }

    @Test func theBookKeepsOneObjectPerKeyAndListsThem() {
        let book = TargetHealthBook()
        let key = TargetHealthBook.Key(provider: "p", plugin: "x", identity: 1, upstreamModel: "m")
        let first = book.health(for: key, breaker: BreakerPolicy())
        #expect(book.health(for: key, breaker: BreakerPolicy()) === first)
        let changed = TargetHealthBook.Key(provider: "p", plugin: "x", identity: 2, upstreamModel: "m")
        #expect(book.health(for: changed, breaker: BreakerPolicy()) !== first)
        for _ in 0..<5 { first.record(.failure, latency: 0, now: 1) }
        #expect(Set(book.entries().map(\.state.name)) == ["open", "closed"])
        book.retain(only: [key])
        #expect(book.entries().count == 1 && book.entries()[0].consecutiveFailures == 5)
    }

    @Test func failureClassification() {
        #expect(PlanExecutor.outcome(of: nil) == .success)
        #expect(PlanExecutor.outcome(of: PluginFailure(status: SY_E_UPSTREAM, httpStatus: 503, message: "")) == .failure)
        #expect(PlanExecutor.outcome(of: PluginFailure(status: SY_E_UPSTREAM, httpStatus: 429, message: "")) == .neutral)  // flow control
        #expect(PlanExecutor.outcome(of: PluginFailure(status: SY_E_UPSTREAM, httpStatus: 0, message: "")) == .failure)
        #expect(PlanExecutor.outcome(of: PluginFailure(status: SY_E_UPSTREAM, httpStatus: 400, message: "")) == .success)
        #expect(PlanExecutor.outcome(of: PluginFailure(status: SY_E_TIMEOUT, httpStatus: 504, message: "")) == .failure)
        #expect(PlanExecutor.outcome(of: PluginFailure(status: SY_E_CANCELLED, message: "")) == .neutral)
    }
}
