import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// Request bodies sent as they arrive (`UpstreamRequest.bodySource`), over both transports, to
/// the loopback upstream, which reads them as streams too: large bodies in bounded memory,
/// a source that makes the transport wait, one that fails or breaks its length, an upstream
/// that refuses before the body is in, and timeouts that must not count the source's waits.
@Suite(.serialized) struct StreamedRequestBodyTests {
    func upload(
        _ harness: ClientHarness, _ source: PatternSource, path: String = "/upload", method: String = "POST",
        configure: (inout UpstreamRequest) -> Void = { _ in }, seconds: Double = 30
    ) -> Recorder {
        var request = UpstreamRequest(method: method, url: harness.url(path), headers: [], bodySource: source)
        configure(&request)
        let recorder = Recorder()
        harness.start(request, recorder)
        #expect(recorder.wait(seconds: seconds), "no completion")
        return recorder
    }

    @Test(arguments: UpstreamTransport.allCases) func aLargeBodyWithALengthGoesThroughInBoundedPieces(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let size = 256 * 1024 * 1024 + 4321
        let source = PatternSource(total: size, announceLength: true, loop: harness.loop)
        let recorder = upload(harness, source, method: "PUT")
        #expect(recorder.succeeded, "\(String(describing: recorder.result))")
        #expect(recorder.body.hasPrefix("bytes=\(size) intact=true chunked=false"))
        #expect(source.produced == size)
        // The transport never asked for more than one buffer's worth at a time, and the
        // upstream's stream never held more than its own buffer.
        #expect(source.largestRead <= 64 * 1024)
        let peak = Int(recorder.body.split(separator: "=").last ?? "") ?? .max
        #expect(peak <= 256 * 1024)
    }

    @Test(arguments: UpstreamTransport.allCases) func aBodyWithoutALengthIsSentChunked(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let size = 32 * 1024 * 1024 + 17
        let source = PatternSource(total: size, announceLength: false, loop: harness.loop)
        let recorder = upload(harness, source)
        #expect(recorder.succeeded, "\(String(describing: recorder.result))")
        #expect(recorder.body.hasPrefix("bytes=\(size) intact=true chunked=true"))
        #expect(source.largestRead <= 64 * 1024)
    }

    @Test(arguments: UpstreamTransport.allCases) func anEmptyChunkedBodyEnds(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let recorder = upload(harness, PatternSource(total: 0, announceLength: false, loop: harness.loop))
        #expect(recorder.succeeded, "\(String(describing: recorder.result))")
        #expect(recorder.body.hasPrefix("bytes=0 intact=true chunked=true"))
    }

    /// The source waits 40 ms every 256 KiB, 10 times: 400 ms of waiting against a total timeout
    /// of 300 ms and a first-byte timeout of 200 ms. Neither may fire: the waits are the
    /// source's, and the first byte is awaited from the end of the body.
    @Test(arguments: UpstreamTransport.allCases) func aWaitingSourceIsResumedAndItsWaitsCountAgainstNoTimeout(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        for announce in [true, false] {
            let source = PatternSource(total: 10 * 256 * 1024 + 1000, announceLength: announce, loop: harness.loop)
            source.waitEvery = 256 * 1024
            source.waitMilliseconds = 40
            let started = monotonicNanoseconds()
            let recorder = upload(harness, source) {
                $0.totalTimeout = 300_000_000
                $0.firstByteTimeout = 200_000_000
            }
            #expect(recorder.succeeded, "\(String(describing: recorder.result))")
            #expect(recorder.body.hasPrefix("bytes=\(source.total) intact=true"))
            #expect(source.waits == 10)
            #expect(monotonicNanoseconds() - started >= 400_000_000)
        }
    }

    @Test(arguments: UpstreamTransport.allCases) func theFirstByteTimeoutCountsFromTheEndOfTheBody(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let source = PatternSource(total: 1000, announceLength: true, loop: harness.loop)
        let recorder = upload(harness, source, path: "/upload-late") { $0.firstByteTimeout = 150_000_000 }
        #expect(recorder.failure?.kind == .firstByteTimeout, "\(String(describing: recorder.result))")
        #expect(source.produced == 1000)
    }

    /// The upstream accepts and then reads nothing: once the socket stops taking the body, the
    /// idle timeout (the first-byte timeout when there is no idle one) ends the exchange, where
    /// before it waited forever (the first-byte timeout waits for the end of the body).
    @Test(arguments: UpstreamTransport.allCases) func anUpstreamThatStopsReadingTheBodyTimesOut(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let deaf = try DeafUpstream()
        defer { deaf.close() }
        let cases: [(announce: Bool, idle: UInt64, firstByte: UInt64)] = [
            (true, 300_000_000, 0), (false, 300_000_000, 60_000_000_000), (true, 0, 300_000_000),
        ]
        for (announce, idle, firstByte) in cases {
            let total = 1024 * 1024 * 1024
            let source = PatternSource(total: total, announceLength: announce, loop: harness.loop)
            let request = UpstreamRequest(
                method: "POST", url: "http://127.0.0.1:\(deaf.port)/upload", headers: [], bodySource: source,
                firstByteTimeout: firstByte, idleTimeout: idle)
            let recorder = Recorder()
            let started = monotonicNanoseconds()
            harness.start(request, recorder)
            #expect(recorder.wait(seconds: 20), "an upstream that stopped reading held the exchange")
            let elapsed = monotonicNanoseconds() - started
            #expect(recorder.failure?.kind == .idleTimeout, "\(String(describing: recorder.result))")
            #expect(recorder.failure?.reason == UpstreamError.requestBodyStalledReason)
            #expect(recorder.failure?.message.contains("took none of the request body for 300 ms") == true)
            #expect(recorder.completions == 1)
            #expect(elapsed >= 300_000_000)
            // The socket did stop taking the body: far less than all of it went out.
            #expect(source.produced > 0 && source.produced < 256 * 1024 * 1024)
        }
        #expect(harness.onLoop { $0.watchedSocketCount } == 0)
        #expect(harness.onLoop { $0.idlePlainConnectionCount } == 0)
        #expect(deaf.acceptedCount == cases.count)
    }

    /// The source waits 400 ms at a time against a send-stall (idle) timeout of 150 ms: waiting
    /// for the source is never the upstream's silence, whether a wait begins with bytes still
    /// unsent or not.
    @Test(arguments: UpstreamTransport.allCases) func theSourcesWaitsNeverCountAsTheUpstreamStalling(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        for announce in [true, false] {
            let source = PatternSource(total: 3 * 256 * 1024 + 10, announceLength: announce, loop: harness.loop)
            source.waitEvery = 256 * 1024
            source.waitMilliseconds = 400
            let recorder = upload(harness, source) {
                $0.idleTimeout = 150_000_000
                $0.firstByteTimeout = 150_000_000
            }
            #expect(recorder.succeeded, "\(String(describing: recorder.result))")
            #expect(recorder.body.hasPrefix("bytes=\(source.total) intact=true"))
            #expect(source.waits == 3)
        }
    }

    @Test(arguments: UpstreamTransport.allCases) func aFailingSourceAbortsTheExchange(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        for announce in [true, false] {
            let source = PatternSource(total: 4 * 1024 * 1024, announceLength: announce, loop: harness.loop)
            source.failAfter = 300 * 1024
            let recorder = upload(harness, source)
            #expect(recorder.failure?.kind == .requestBody, "\(String(describing: recorder.result))")
            #expect(recorder.failure?.reason == "the client went away")
            #expect(recorder.completions == 1)
        }
        #expect(harness.onLoop { $0.watchedSocketCount } == 0)
        #expect(harness.onLoop { $0.idlePlainConnectionCount } == 0)
        // The next request gets a connection of its own and goes through.
        #expect(harness.run("/echo", body: "after").body == "POST t1 after")
    }

    @Test(arguments: UpstreamTransport.allCases) func aSourceShortOfItsLengthAbortsTheExchange(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let source = PatternSource(total: 100_000, announceLength: true, loop: harness.loop)
        source.endAfter = 60_000
        let recorder = upload(harness, source)
        #expect(recorder.failure?.kind == .requestBody, "\(String(describing: recorder.result))")
        #expect(recorder.completions == 1)
    }

    /// The upstream answers 413 without reading: the answer is delivered, sending stops (the
    /// source is far from drained), and the connection is not used again.
    @Test(arguments: UpstreamTransport.allCases) func anEarlyRefusalIsDeliveredAndSendingStops(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        for announce in [true, false] {
            let source = PatternSource(total: 1024 * 1024 * 1024, announceLength: announce, loop: harness.loop)
            let recorder = upload(harness, source, path: "/refuse")
            #expect(recorder.status == 413, "\(String(describing: recorder.result))")
            #expect(recorder.body == "refused")
            #expect(recorder.succeeded, "\(String(describing: recorder.result))")
            #expect(source.produced < 64 * 1024 * 1024)
        }
        #expect(harness.onLoop { $0.idlePlainConnectionCount } == 0)
        #expect(harness.run("/echo", body: "after").body == "POST t1 after")
    }

    @Test(arguments: UpstreamTransport.allCases) func aConnectionIsReusedAfterAWholeStreamedBody(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        for _ in 0..<3 {
            let recorder = upload(harness, PatternSource(total: 100_000, announceLength: false, loop: harness.loop))
            #expect(recorder.body.hasPrefix("bytes=100000 intact=true"))
        }
        if transport == .plain { #expect(harness.onLoop { $0.idlePlainConnectionCount } == 1) }
    }

    @Test(arguments: UpstreamTransport.allCases) func cancellingWhileTheSourceWaitsEndsTheExchange(_ transport: UpstreamTransport) throws {
        let harness = try ClientHarness(transport)
        defer { harness.shutdown() }
        let source = PatternSource(total: 1024 * 1024, announceLength: true, loop: harness.loop)
        source.waitEvery = 100_000
        source.waitMilliseconds = 5_000
        let recorder = Recorder()
        let box = harness.start(UpstreamRequest(method: "POST", url: harness.url("/upload"), headers: [], bodySource: source), recorder)
        usleep(200_000)
        harness.loop.execute { box.transfer?.cancel() }
        #expect(recorder.wait(seconds: 2))
        #expect(recorder.failure?.kind == .cancelled)
        #expect(source.produced == 100_000)
    }
}
