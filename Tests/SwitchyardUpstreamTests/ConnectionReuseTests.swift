import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// Keep-alive: sequential transfers share one connection; concurrent ones open a few and then
/// share those. Counted on the server side.
@Suite(.serialized) struct ConnectionReuseTests {
    let counting: CountingServer

    init() throws {
        counting = try CountingServer()
    }

    private func get(_ count: Int, _ harness: ClientHarness) -> [Recorder] {
        let recorders = (0..<count).map { _ in Recorder() }
        for recorder in recorders {
            harness.start(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(counting.port)/", headers: [], body: []), recorder)
        }
        for recorder in recorders { #expect(recorder.wait()) }
        return recorders
    }

    @Test(arguments: UpstreamTransport.allCases) func sequentialTransfersReuseOneConnection(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown(); counting.stop() }
        for _ in 0..<20 {
            let recorder = get(1, harness)[0]
            #expect(recorder.body == "ok" && recorder.succeeded)
        }
        #expect(counting.requests == 20)
        #expect(counting.connections == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func concurrentBurstsReuseTheirConnections(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown(); counting.stop() }
        #expect(get(8, harness).allSatisfy { $0.body == "ok" })
        let afterFirstBurst = counting.connections
        #expect(afterFirstBurst >= 1 && afterFirstBurst <= 8)
        #expect(get(8, harness).allSatisfy { $0.body == "ok" })
        // The second burst reuses every idle connection and opens only what it lacks: a first
        // burst whose early answers came back before its last request started used fewer than 8.
        #expect(counting.connections <= 8)
        #expect(counting.requests == 16)
    }
}
