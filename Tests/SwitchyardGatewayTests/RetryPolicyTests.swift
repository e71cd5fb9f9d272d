@testable import SwitchyardConfig
@testable import SwitchyardGateway
import Testing

/// The retry decision (RetryPolicy), with a seeded random source, and Retry-After's two forms.
@Suite struct RetryPolicyTests {
    private let policy = RetryPolicy(RetryConfig(attempts: 2, statuses: [429, 503], onConnect: true, onTimeout: false,
                                                 initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(300), retryAfterCap: .seconds(2)))
    private let ms: UInt64 = 1_000_000

    @Test func retriesOnlyWhatOnListsAndOnlyAttemptsTimes() {
        var random = LoopRandom(seed: 1)
        for cause in [RetryCause.status(429), .status(503), .connect] {
            #expect(policy.decide(cause: cause, retriesDone: 0, retryAfter: nil, now: 0, deadline: 0, random: &random) != .moveOn)
            #expect(policy.decide(cause: cause, retriesDone: 1, retryAfter: nil, now: 0, deadline: 0, random: &random) != .moveOn)
            #expect(policy.decide(cause: cause, retriesDone: 2, retryAfter: nil, now: 0, deadline: 0, random: &random) == .moveOn)
        }
        for cause in [RetryCause.status(500), .status(400), .timeout, .other] {
            #expect(policy.decide(cause: cause, retriesDone: 0, retryAfter: nil, now: 0, deadline: 0, random: &random) == .moveOn)
        }
    }

    @Test func backoffDoublesUpToItsMaxWithFullJitter() {
        #expect(policy.backoffCeiling(retriesDone: 0) == 100 * ms)
        #expect(policy.backoffCeiling(retriesDone: 1) == 200 * ms)
        #expect(policy.backoffCeiling(retriesDone: 2) == 300 * ms)
        #expect(policy.backoffCeiling(retriesDone: 80) == 300 * ms)
        var random = LoopRandom(seed: 42)
        var waits: [UInt64] = []
        for _ in 0..<2000 {
            guard case .retry(let wait) = policy.decide(cause: .connect, retriesDone: 1, retryAfter: nil, now: 0, deadline: 0, random: &random) else {
                Issue.record("expected a retry"); return
            }
            waits.append(wait)
        }
        #expect(waits.allSatisfy { $0 <= 200 * ms })
        // Full jitter spreads over the whole range, not around its top.
        #expect(waits.contains { $0 < 20 * ms } && waits.contains { $0 > 180 * ms })
        // The same seed replays the same waits.
        var again = LoopRandom(seed: 42)
        #expect(policy.decide(cause: .connect, retriesDone: 1, retryAfter: nil, now: 0, deadline: 0, random: &again) == .retry(afterNanoseconds: waits[0]))
    }

    @Test func retryAfterIsHonouredUpToTheCap() {
        var random = LoopRandom(seed: 7)
        #expect(policy.decide(cause: .status(429), retriesDone: 0, retryAfter: 1_000 * ms, now: 0, deadline: 0, random: &random) == .retry(afterNanoseconds: 1_000 * ms))
        #expect(policy.decide(cause: .status(429), retriesDone: 0, retryAfter: 2_000 * ms, now: 0, deadline: 0, random: &random) == .retry(afterNanoseconds: 2_000 * ms))
        #expect(policy.decide(cause: .status(429), retriesDone: 0, retryAfter: 2_001 * ms, now: 0, deadline: 0, random: &random) == .moveOn)
    }

    @Test func aWaitThatWouldCrossTheDeadlineIsNotTaken() {
        var random = LoopRandom(seed: 7)
        let now: UInt64 = 5_000 * ms
        #expect(policy.decide(cause: .status(503), retriesDone: 0, retryAfter: 1_000 * ms, now: now, deadline: now + 1_000 * ms, random: &random) == .moveOn)
        #expect(policy.decide(cause: .status(503), retriesDone: 0, retryAfter: 999 * ms, now: now, deadline: now + 1_000 * ms, random: &random) == .retry(afterNanoseconds: 999 * ms))
        // A backoff's whole range lies before a distant deadline.
        #expect(policy.decide(cause: .status(503), retriesDone: 0, retryAfter: nil, now: now, deadline: now + 101 * ms, random: &random) != .moveOn)
    }

    @Test func causeOfAFailedTry() {
        var state = RequestResilience(trace: TraceContext(traceID: String(repeating: "a", count: 32), flags: "01", state: nil))
        #expect(state.cause(timedOut: true) == .timeout)
        #expect(state.cause(timedOut: false) == .other)
        state.transportKind = .connect
        #expect(state.cause(timedOut: false) == .connect)
        state.transportKind = .closed
        #expect(state.cause(timedOut: false) == .connect)  // closed before any response head
        state.headStatus = 200
        #expect(state.cause(timedOut: false) == .other)  // cut mid-stream: fail over, not retried here
        state.transportKind = nil
        state.headStatus = 503
        #expect(state.cause(timedOut: false) == .status(503))
        state.beginTry()
        #expect(state.headStatus == 0 && state.transportKind == nil)
    }

    @Test func retryAfterSecondsAndHTTPDates() {
        let now: UInt64 = 784_111_777 * 1_000_000_000  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(RetryAfter.nanoseconds("1", nowUnixNanoseconds: now) == 1_000_000_000)
        #expect(RetryAfter.nanoseconds(" 120 ", nowUnixNanoseconds: now) == 120_000_000_000)
        #expect(RetryAfter.nanoseconds("0", nowUnixNanoseconds: now) == 0)
        #expect(RetryAfter.nanoseconds("Sun, 06 Nov 1994 08:49:40 GMT", nowUnixNanoseconds: now) == 3_000_000_000)
        #expect(RetryAfter.nanoseconds("Sun, 06 Nov 1994 08:49:37 GMT", nowUnixNanoseconds: now) == 0)
        #expect(RetryAfter.nanoseconds("Sat, 05 Nov 1994 08:49:37 GMT", nowUnixNanoseconds: now) == 0)  // past: at once
        #expect(RetryAfter.nanoseconds("Wed, 01 Mar 2000 00:00:00 GMT", nowUnixNanoseconds: 951_868_800 * 1_000_000_000) == 0)  // leap year
        #expect(RetryAfter.imfFixdate(Array("Thu, 01 Jan 1970 00:00:00 GMT".utf8)) == 0)
        #expect(RetryAfter.imfFixdate(Array("Tue, 29 Feb 2028 12:00:00 GMT".utf8)) == 1_835_438_400)
        for bad in ["", "-1", "1.5", "soon", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                    "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT", "9999999999999"] {
            #expect(RetryAfter.nanoseconds(bad, nowUnixNanoseconds: now) == nil, "\(bad)")
        }
    }
}
