@testable import SwitchyardGateway
import Testing

/// W3C traceparent: continued when valid, restarted otherwise; each try gets its own span.
@Suite struct TraceContextTests {
    private let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    @Test func aValidParentIsContinuedWithItsFlagsAndState() {
        var random = LoopRandom(seed: 3)
        let trace = TraceContext(traceparent: valid, tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", random: &random)
        #expect(trace.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(trace.flags == "01")
        #expect(trace.state == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        let parent = trace.traceparent(random: &random)
        #expect(parent.hasPrefix("00-4bf92f3577b34da6a3ce929d0e0e4736-") && parent.hasSuffix("-01"))
        #expect(!parent.contains("00f067aa0ba902b7"))  // a new parent id: the gateway's span
        #expect(TraceContext.parse(parent)?.traceID == trace.traceID)
        #expect(parent != trace.traceparent(random: &random))  // each try its own span
        let unsampled = TraceContext(traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", tracestate: nil, random: &random)
        #expect(unsampled.flags == "00" && unsampled.state == nil)
    }

    @Test("malformed parents are dropped, with their tracestate", arguments: [
        "", "garbage",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // all-zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version ff
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // 00 has exactly four fields
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  // short trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-701",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bg-01",  // not hex
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // later version: a "-" must follow
    ])
    func malformed(value: String) {
        #expect(TraceContext.parse(value) == nil)
        var random = LoopRandom(seed: 9)
        let trace = TraceContext(traceparent: value, tracestate: "a=b", random: &random)
        #expect(trace.state == nil && trace.flags == "01" && trace.traceID.count == 32)
        #expect(trace.traceID != "4bf92f3577b34da6a3ce929d0e0e4736")
    }

    @Test func aLaterVersionIsReadAsVersion00() {
        #expect(TraceContext.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(TraceContext.parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-what-ever")?.flags == "09")
    }

    @Test func aNewTraceIsWellFormedAndDiffersPerRequest() {
        var random = LoopRandom(seed: 11)
        let first = TraceContext(traceparent: nil, tracestate: nil, random: &random)
        let second = TraceContext(traceparent: nil, tracestate: nil, random: &random)
        #expect(first.traceID != second.traceID)
        let parent = first.traceparent(random: &random)
        #expect(parent.utf8.count == 55)
        #expect(TraceContext.parse(parent)?.traceID == first.traceID)
        #expect(TraceContext.hex(0xAB) == "00000000000000ab")
    }
}
