import CSwitchyardPlugin
import Testing

@testable import SwitchyardPlugins

/// The gateway ↔ runner framing (Isolation/Wire): whole frames in any split, and every way a
/// stream can be wrong refused with its reason.
@Suite struct IsolationFrameTests {
    func decodeAll(_ bytes: [UInt8], pieces: Int) throws(FrameError) -> [IsolationFrame] {
        var decoder = FrameDecoder()
        var frames: [IsolationFrame] = []
        let size = max(1, bytes.count / pieces)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            bytes[offset..<end].withUnsafeBytes { decoder.append($0) }
            offset = end
            while let frame = try decoder.next() { frames.append(frame) }
        }
        try decoder.finish()
        return frames
    }

    @Test("frames survive any split of the stream", arguments: [1, 2, 3, 7, 1000])
    func anySplit(pieces: Int) throws {
        let frames = [
            IsolationFrame(type: .hello, call: 0, payload: []),
            IsolationFrame(type: .generate, call: 42, payload: Array("{\"model\":\"m\"}".utf8)),
            IsolationFrame(type: .reply, call: UInt64.max, payload: [UInt8](repeating: 7, count: 70_000)),
        ]
        let stream = frames.flatMap { $0.encoded() }
        #expect(try decodeAll(stream, pieces: pieces) == frames)
    }

    @Test("the layout is length, type, call id, payload, little-endian")
    func layout() {
        let bytes = IsolationFrame(type: .data, call: 0x0102030405060708, payload: [0xAA]).encoded()
        #expect(bytes == [10, 0, 0, 0, IsolationMessage.data.rawValue, 8, 7, 6, 5, 4, 3, 2, 1, 0xAA])
    }

    @Test("a stream cut inside a frame is truncated, with how much was there")
    func truncated() {
        let bytes = IsolationFrame(type: .reply, call: 1, payload: [1, 2, 3]).encoded()
        #expect(throws: FrameError.truncated(have: 10, need: 16)) { try decodeAll(Array(bytes.prefix(10)), pieces: 1) }
        #expect(throws: FrameError.truncated(have: 2, need: 4)) { try decodeAll(Array(bytes.prefix(2)), pieces: 1) }
    }

    @Test("a length beyond the maximum is refused before anything is buffered for it")
    func oversize() {
        var bytes: [UInt8] = []
        appendLittleEndian(UInt32(IsolationFrame.maximumBytes + 1), to: &bytes)
        var decoder = FrameDecoder()
        bytes.withUnsafeBytes { decoder.append($0) }
        #expect(throws: FrameError.oversize(IsolationFrame.maximumBytes + 1, limit: IsolationFrame.maximumBytes)) { try decoder.next() }
    }

    @Test("a length below the header is refused")
    func undersize() {
        var decoder = FrameDecoder()
        ([8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0] as [UInt8]).withUnsafeBytes { decoder.append($0) }
        #expect(throws: FrameError.undersize(8)) { try decoder.next() }
    }

    @Test("an unknown type is refused, naming it")
    func unknownType() {
        var decoder = FrameDecoder()
        ([9, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0] as [UInt8]).withUnsafeBytes { decoder.append($0) }
        #expect(throws: FrameError.unknownType(200)) { try decoder.next() }
        #expect(FrameError.unknownType(200).description == "unknown frame type 200")
    }

    @Test("a reply round-trips with every op")
    func replyRoundTrip() throws {
        var interfaces = WireInterfaces()
        interfaces.providerHooks = WireInterfaces.prepare | WireInterfaces.transformer
        interfaces.guardrailPhases = SY_PHASE_CHUNK
        interfaces.guardrailCallEnd = true
        let reply = WireReply(status: SY_E_UPSTREAM, httpStatus: 429, retryable: true, message: "slow down ✓", ops: [
            .sinkWrite(kind: SY_OUT_JSON, bytes: Array("{}".utf8)), .setMethod(Array("PUT".utf8)), .setURL(Array("http://x/".utf8)),
            .addHeader(name: Array("a".utf8), value: []), .appendBody([0, 1, 2]), .verdictPatch(format: SY_PATCH_REPLACE, document: [1]),
            .verdictReject(httpStatus: 403, body: [2]), .verdictHold(5), .state(9),
            .metricDefine(kind: SY_METRIC_COUNTER, name: Array("n".utf8), labels: Array("a,b".utf8), id: 3), .interfaces(interfaces),
        ])
        #expect(try WireReply(decoding: reply.encoded()) == reply)
    }

    @Test("a payload that ends early, or names an unknown op, is refused")
    func malformedPayloads() {
        let encoded = WireReply(status: SY_OK, ops: [.sinkWrite(kind: 1, bytes: [1, 2, 3])]).encoded()
        for cut in [0, 3, 8, encoded.count - 1] {
            #expect(throws: (any Error).self) { try WireReply(decoding: Array(encoded.prefix(cut))) }
        }
        var unknownOp = WireReply(status: SY_OK).encoded()
        unknownOp.removeLast(4)
        appendLittleEndian(UInt32(1), to: &unknownOp)
        unknownOp.append(99)
        #expect(throws: HostOp.Unknown.self) { try WireReply(decoding: unknownOp) }
        // An op count larger than the payload could hold.
        var huge = WireReply(status: SY_OK).encoded()
        huge.removeLast(4)
        appendLittleEndian(UInt32.max, to: &huge)
        #expect(throws: (any Error).self) { try WireReply(decoding: huge) }
    }

    @Test("a call, hello, log and metric round-trip")
    func payloadRoundTrips() throws {
        let call = WireCall(handle: 77, operation: SY_OP_CHAT_COMPLETIONS, stream: 1, attempt: 2, requestID: Array("req".utf8),
                            upstreamModel: Array("m".utf8), request: Array("{}".utf8), metadata: Array("{\"a\":1}".utf8), cancelled: true, deadline: 123_456_789)
        var writer = WireWriter()
        call.write(to: &writer)
        var reader = WireReader(writer.bytes)
        #expect(try WireCall(from: &reader) == call)
        #expect(reader.isAtEnd)
        let hello = WireHello(status: SY_OK, id: "dev.x", version: "1.0.0", manifest: "{}", flags: 1, pluginMinor: 0, negotiatedMinor: 0)
        #expect(try WireHello(decoding: hello.encoded()) == hello)
        let log = WireLog(level: SY_LOG_WARN, requestID: [], message: Array("line".utf8))
        #expect(try WireLog(decoding: log.encoded()) == log)
        let metric = WireMetric(id: 4, value: 2.5, labels: [Array("x".utf8), []])
        #expect(try WireMetric(decoding: metric.encoded()) == metric)
    }
}

/// The supervisor's restart arithmetic: backoff doubling to its cap, the count starting over
/// after a stable run, the crash-loop limit within its window.
@Suite struct RestartPolicyTests {
    let second: UInt64 = 1_000_000_000

    @Test("the backoff doubles from 100 ms to 5 s")
    func backoff() {
        let policy = RestartPolicy(maxRestarts: 100, windowNanoseconds: 60 * second)
        #expect((1...9).map { policy.delay($0) / 1_000_000 } == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000])
        #expect(policy.delay(0) == 100_000_000)
        #expect(policy.delay(1000) == 5 * second)
    }

    @Test("crashes in a row back off further; a runner that stayed up starts the count again")
    func consecutive() {
        var policy = RestartPolicy(maxRestarts: 100, windowNanoseconds: 60 * second)
        #expect(policy.runnerEnded(startedAt: 0, now: 1) == .restart(afterNanoseconds: 100_000_000))
        #expect(policy.runnerEnded(startedAt: 2, now: 3) == .restart(afterNanoseconds: 200_000_000))
        #expect(policy.runnerEnded(startedAt: 4, now: 5) == .restart(afterNanoseconds: 400_000_000))
        #expect(policy.runnerEnded(startedAt: 10, now: 10 + 11 * second) == .restart(afterNanoseconds: 100_000_000))
    }

    @Test("more than max_restarts within the window disables; older restarts fall out of it")
    func crashLoop() {
        var policy = RestartPolicy(maxRestarts: 2, windowNanoseconds: 60 * second)
        #expect(policy.runnerEnded(startedAt: 0, now: 1 * second) == .restart(afterNanoseconds: 100_000_000))
        #expect(policy.runnerEnded(startedAt: 1 * second, now: 2 * second) == .restart(afterNanoseconds: 200_000_000))
        // The first restart is 60.5 s old by now: out of the window; the runner stayed up long.
        #expect(policy.runnerEnded(startedAt: 2 * second, now: 61_500_000_000) == .restart(afterNanoseconds: 100_000_000))
        #expect(policy.runnerEnded(startedAt: 61_500_000_000, now: 62 * second) == .disable(count: 3))
    }

    @Test("max_restarts 0 disables at the first end")
    func noRestarts() {
        var policy = RestartPolicy(maxRestarts: 0, windowNanoseconds: second)
        #expect(policy.runnerEnded(startedAt: 0, now: 1) == .disable(count: 1))
    }
}
