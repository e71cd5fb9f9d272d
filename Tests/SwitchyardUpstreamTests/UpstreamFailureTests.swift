import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// Failures and early ends: refused connections, timeouts, cancellation from every place a
/// caller may cancel, and an upstream that cuts the body short.
@Suite(.serialized) struct UpstreamFailureTests {


    @Test(arguments: UpstreamTransport.allCases) func refusedConnectionIsAConnectError(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let closedURL = harness.url("/echo")
        harness.server.shutdown(grace: 0)
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: closedURL, headers: [], body: []), recorder)
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .connect)
        #expect(recorder.failure?.message.isEmpty == false)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func totalTimeoutIsATimeoutError(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/slow", method: "GET") { $0.totalTimeout = 200_000_000 }
        #expect(recorder.failure?.kind == .totalTimeout)
        #expect(recorder.failure?.isTimeout == true)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func firstByteTimeoutFiresWhenNoHeadArrives(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let started = monotonicNanoseconds()
        let recorder = harness.run("/slow", method: "GET") { $0.firstByteTimeout = 150_000_000 }
        #expect(recorder.failure?.kind == .firstByteTimeout)
        #expect(recorder.failure?.message.contains("no response head") == true)
        #expect(monotonicNanoseconds() - started < 1_500_000_000)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func idleTimeoutFiresWhenTheStreamStalls(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/pause", method: "GET") { $0.idleTimeout = 200_000_000 }
        #expect(recorder.body == "first;")
        #expect(recorder.failure?.kind == .idleTimeout)
        #expect(recorder.failure?.message.contains("no data") == true)
    }

    @Test(arguments: UpstreamTransport.allCases) func connectTimeoutFiresWhenTheUpstreamNeverAccepts(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let blackhole = try Blackhole()
        defer { blackhole.close() }
        let started = monotonicNanoseconds()
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(blackhole.port)/", headers: [], body: [],
                                      connectTimeout: 200_000_000, firstByteTimeout: 5_000_000_000), recorder)
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .connectTimeout, "\(String(describing: recorder.result))")
        #expect(monotonicNanoseconds() - started < 1_500_000_000)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func aTotalTimeoutShorterThanTheConnectTimeoutIsReportedAsTheTotal(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let blackhole = try Blackhole()
        defer { blackhole.close() }
        let recorder = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(blackhole.port)/", headers: [], body: [],
                                      connectTimeout: 3_000_000_000, totalTimeout: 200_000_000), recorder)
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .totalTimeout, "\(String(describing: recorder.result))")
    }

    @Test(arguments: UpstreamTransport.allCases) func idleTimeoutWaitsForTheHead(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        // The head comes after 400 ms, the body 100 ms later: silence before the head is the
        // first-byte timeout's business, not the idle timeout's.
        let recorder = harness.run("/late", method: "GET") { $0.idleTimeout = 250_000_000 }
        #expect(recorder.succeeded, "\(String(describing: recorder.result))")
        #expect(recorder.body == "late;")
    }

    @Test(arguments: UpstreamTransport.allCases) func idleTimeoutLeavesAStreamThatKeepsTalkingAlone(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/stream", method: "GET") { $0.idleTimeout = 200_000_000 }
        #expect(recorder.succeeded)
        #expect(recorder.body == "part0;part1;part2;part3;")
    }

    @Test(arguments: UpstreamTransport.allCases) func cancelMidStreamCompletesOnceAndUnwatchesTheSocket(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = Recorder()
        let box = harness.start(UpstreamRequest(method: "GET", url: harness.url("/long"), headers: [], body: []), recorder)
        #expect(recorder.firstChunk.wait(timeout: .now() + 5) == .success)
        #expect(harness.onLoop { $0.watchedSocketCount } == 1)
        let cancelledAt = harness.onLoop { _ in
            box.transfer?.cancel()
            box.transfer?.cancel()  // a second cancel is a no-op
            return box.transfer?.isActive
        }
        #expect(cancelledAt == false)  // completion ran synchronously inside cancel()
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .cancelled)
        #expect(harness.onLoop { $0.watchedSocketCount } == 0)
        let chunksAtCancel = recorder.chunks.count
        Thread.sleep(forTimeInterval: 0.15)  // the server keeps sending every 30 ms: nothing more may arrive
        #expect(recorder.chunks.count == chunksAtCancel)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func cancelFromInsideItsOwnBodyCallback(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let box = TransferBox()
        let recorder = Recorder()
        recorder.onBody = { _ in box.transfer?.cancel() }
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/long"), headers: [], body: []), recorder, into: box)
        #expect(recorder.wait())
        Thread.sleep(forTimeInterval: 0.15)
        #expect(recorder.failure?.kind == .cancelled)
        #expect(recorder.completions == 1)
        #expect(recorder.chunks.count == 1)
        #expect(harness.onLoop { $0.watchedSocketCount } == 0)
    }

    @Test(arguments: UpstreamTransport.allCases) func cancelFromInsideItsOwnHeadCallback(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let box = TransferBox()
        let recorder = Recorder()
        recorder.onHead = { _ in box.transfer?.cancel() }
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/long"), headers: [], body: []), recorder, into: box)
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .cancelled)
        #expect(recorder.chunks.isEmpty)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func cancelAnotherTransferAndStartOneFromInsideACallback(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        // `victim` streams for seconds; `trigger`'s first body chunk cancels it and starts `late`.
        // libcurl forbids both from inside its callbacks: the client must defer them.
        let victimBox = TransferBox()
        let victim = Recorder()
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/long"), headers: [], body: []), victim, into: victimBox)
        #expect(victim.firstChunk.wait(timeout: .now() + 5) == .success)
        let late = Recorder()
        let trigger = Recorder()
        let client = harness.client
        let lateRequest = UpstreamRequest(method: "POST", url: harness.url("/echo"), headers: [], body: Array("late".utf8))
        trigger.onBody = { recorder in
            guard recorder.chunks.count == 1 else { return }
            victimBox.transfer?.cancel()
            client.start(lateRequest, delegate: late)
        }
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/stream"), headers: [], body: []), trigger)
        #expect(victim.wait())
        #expect(victim.failure?.kind == .cancelled)
        #expect(late.wait())
        #expect(late.body == "POST - late")
        #expect(trigger.wait())
        #expect(trigger.succeeded)
        #expect(victim.completions == 1 && late.completions == 1 && trigger.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func connectionCutMidBodyIsAFailureNotASuccess(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/cut", method: "GET")
        #expect(recorder.body == "part0;part1;")
        #expect(recorder.failure?.kind == .closed)
        #expect(recorder.completions == 1)
    }

    @Test(arguments: UpstreamTransport.allCases) func connectionDroppedBeforeTheHeadIsClosedNotUnreachable(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = harness.run("/drop", method: "GET")
        #expect(recorder.heads == 0)
        #expect(recorder.failure?.kind == .closed, "\(String(describing: recorder.result))")
        #expect(recorder.completions == 1)
    }
}

/// Backpressure: a paused transfer delivers nothing more until resumed, then everything.
@Suite(.serialized) struct UpstreamPauseTests {
    @Test(arguments: UpstreamTransport.allCases) func pausedTransferWaitsThenFinishes(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let box = TransferBox()
        let recorder = Recorder()
        recorder.onBody = { recorder in if recorder.chunks.count == 1 { box.transfer?.pauseReceiving() } }
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/stream"), headers: [], body: []), recorder, into: box)
        #expect(recorder.firstChunk.wait(timeout: .now() + 5) == .success)
        Thread.sleep(forTimeInterval: 0.3)  // the upstream sends a part every 30 ms
        let whilePaused = recorder.chunks.count
        #expect(whilePaused <= 2)  // the read that was in hand when the pause came may finish
        #expect(recorder.completions == 0)
        _ = harness.onLoop { _ in box.transfer?.resumeReceiving() }
        #expect(recorder.wait())
        #expect(recorder.succeeded)
        #expect(recorder.body == "part0;part1;part2;part3;")
    }

    @Test(arguments: UpstreamTransport.allCases) func pausedTimeDoesNotCountAsIdle(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let box = TransferBox()
        let recorder = Recorder()
        recorder.onBody = { recorder in if recorder.chunks.count == 1 { box.transfer?.pauseReceiving() } }
        // Paused for three idle timeouts: the silence is ours, so the transfer must survive it.
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/stream"), headers: [], body: [], idleTimeout: 150_000_000), recorder, into: box)
        #expect(recorder.firstChunk.wait(timeout: .now() + 5) == .success)
        Thread.sleep(forTimeInterval: 0.45)
        #expect(recorder.completions == 0)
        _ = harness.onLoop { _ in box.transfer?.resumeReceiving() }
        #expect(recorder.wait())
        #expect(recorder.succeeded, "\(String(describing: recorder.result))")
        #expect(recorder.body == "part0;part1;part2;part3;")
    }

    @Test(arguments: UpstreamTransport.allCases) func idleTimeoutStillFiresAfterAResume(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let box = TransferBox()
        let recorder = Recorder()
        recorder.onBody = { recorder in if recorder.chunks.count == 1 { box.transfer?.pauseReceiving() } }
        // /pause sends one part then nothing for 2 s: after the resume, the upstream's own
        // silence counts again.
        harness.start(UpstreamRequest(method: "GET", url: harness.url("/pause"), headers: [], body: [], idleTimeout: 150_000_000), recorder, into: box)
        #expect(recorder.firstChunk.wait(timeout: .now() + 5) == .success)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(recorder.completions == 0)
        let resumedAt = monotonicNanoseconds()
        _ = harness.onLoop { _ in box.transfer?.resumeReceiving() }
        #expect(recorder.wait())
        #expect(recorder.failure?.kind == .idleTimeout, "\(String(describing: recorder.result))")
        #expect(recorder.completedAt - resumedAt < 1_000_000_000)
    }
}
