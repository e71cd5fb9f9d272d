import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// The request/response basics against a loopback upstream: methods, headers both ways, bodies,
/// streaming, concurrency, and what curl must not add on its own.
@Suite(.serialized) struct UpstreamClientTests {


    @Test(arguments: UpstreamTransport.allCases) func postSendsBodyAndHeadersAndReadsTheAnswer(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/echo", body: #"{"a":1}"#)
        #expect(recorder.status == 201)
        #expect(recorder.headers.contains { $0.name.lowercased() == "x-reply" && $0.value == "yes" })
        #expect(recorder.headers.contains { $0.name.lowercased() == "x-empty" && $0.value == "" })
        #expect(recorder.body == #"POST t1 {"a":1}"#)
        #expect(recorder.heads == 1)
        #expect(recorder.completions == 1)
        #expect(recorder.succeeded, "\(String(describing: recorder.result))")
    }

    @Test(arguments: UpstreamTransport.allCases) func getAndOtherMethods(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        #expect(harness.run("/echo", method: "GET").body == "GET t1 ")
        #expect(harness.run("/echo", method: "PUT", body: "x").body == "PUT t1 x")
        #expect(harness.run("/echo", method: "DELETE").body == "DELETE t1 ")
        let head = harness.run("/echo", method: "HEAD")
        #expect(head.status == 201 && head.body.isEmpty && head.succeeded)
    }

    @Test(arguments: UpstreamTransport.allCases) func curlAddsNoAcceptExpectOrContentTypeOfItsOwn(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        // 4 KB: above the size at which curl would send "Expect: 100-continue" by default.
        let big = String(repeating: "b", count: 4096)
        let lines = harness.run("/headers", headers: [("X-Team", "core"), ("X-Blank", "")], body: big).body
        #expect(!lines.contains("accept:"))
        #expect(!lines.contains("expect:"))
        #expect(!lines.contains("content-type:"))
        #expect(lines.contains("x-team: core\n"))
        #expect(lines.contains("x-blank: \n"))
        #expect(lines.contains("content-length: 4096\n"))
        let chosen = harness.run("/headers", headers: [("Accept", "text/event-stream"), ("Content-Type", "application/json")], body: "{}").body
        #expect(chosen.contains("accept: text/event-stream\n"))
        #expect(chosen.contains("content-type: application/json\n"))
    }

    @Test(arguments: UpstreamTransport.allCases) func interimContinueHeadIsSkipped(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        // Asking for 100-continue ourselves makes the server send an interim head first.
        let recorder = harness.run("/echo", headers: [("Expect", "100-continue")], body: String(repeating: "c", count: 2000))
        #expect(recorder.status == 201)
        #expect(recorder.heads == 1)
        #expect(recorder.body.hasSuffix("ccc"))
    }

    @Test(arguments: UpstreamTransport.allCases) func streamedChunksArriveBeforeCompletion(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/stream", method: "GET")
        #expect(recorder.body == "part0;part1;part2;part3;")
        #expect(recorder.chunks.count >= 3)
        let first = recorder.chunks.first?.1 ?? 0
        #expect(recorder.completedAt - first > 60_000_000)  // chunks were paced, not buffered
        #expect(recorder.succeeded)
    }

    @Test(arguments: UpstreamTransport.allCases) func timingsAreOrdered(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let box = TransferBox()
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/stream"), headers: [], body: []), recorder, into: box)
        #expect(recorder.wait())
        let timings = harness.onLoop { _ in box.transfer?.timings }
        let value = try? #require(timings ?? nil)
        #expect((value?.started ?? 0) > 0)
        #expect((value?.started ?? 0) <= (value?.head ?? 0))
        #expect((value?.head ?? 0) <= (value?.completed ?? 0))
        #expect((value?.total ?? 0) >= 90_000_000)  // four parts, 30 ms apart
    }

    @Test(arguments: UpstreamTransport.allCases) func manyConcurrentTransfersOnOneLoop(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorders = (0..<50).map { _ in Recorder() }
        for (index, recorder) in recorders.enumerated() {
            harness.start(UpstreamRequest(method: "POST", url: harness.url("/echo"), headers: [], body: Array("n\(index)".utf8)), recorder)
        }
        for (index, recorder) in recorders.enumerated() {
            #expect(recorder.wait())
            #expect(recorder.body == "POST - n\(index)")
            #expect(recorder.completions == 1)
        }
        #expect(harness.onLoop { $0.watchedSocketCount } == 0)
    }

    @Test(arguments: UpstreamTransport.allCases) func invalidURLFailsWithoutReachingTheNetwork(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: "nope://x", headers: [], body: []), recorder)
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .other)
        #expect(recorder.completions == 1)
    }
}
