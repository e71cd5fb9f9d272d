import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// Keep-alive: sequential transfers share one connection; concurrent ones open a few and then
/// share those. Counted on the server side.
@Suite(.serialized) struct ConnectionReuseTests {
    let counting: CountingServer
    let harness: ClientHarness

    init() throws {
        counting = try CountingServer()
        harness = try ClientHarness()
    }

    private func get(_ count: Int) -> [Recorder] {
        let recorders = (0..<count).map { _ in Recorder() }
        for recorder in recorders {
            harness.start(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(counting.port)/", headers: [], body: []), recorder)
        }
        for recorder in recorders { #expect(recorder.wait()) }
        return recorders
    }

    @Test func sequentialTransfersReuseOneConnection() {
        defer { harness.shutdown(); counting.stop() }
        for _ in 0..<20 {
            let recorder = get(1)[0]
            #expect(recorder.body == "ok" && recorder.succeeded)
        }
        #expect(counting.requests == 20)
        #expect(counting.connections == 1)
    }

    @Test func concurrentBurstsReuseTheirConnections() {
        defer { harness.shutdown(); counting.stop() }
        #expect(get(8).allSatisfy { $0.body == "ok" })
        let afterFirstBurst = counting.connections
        #expect(afterFirstBurst >= 1 && afterFirstBurst <= 8)
        #expect(get(8).allSatisfy { $0.body == "ok" })
        #expect(counting.connections == afterFirstBurst)
        #expect(counting.requests == 16)
    }
}
