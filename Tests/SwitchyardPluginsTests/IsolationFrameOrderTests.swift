import CSwitchyardPlugin
import SwitchyardPosix
import Testing

@testable import SwitchyardPlugins

/// A frame from the runner must fit the state of the conversation (Isolation/Proxy, `handle`):
/// one hello per runner, while it starts; a call answered by its own kind of frame; nothing of
/// the gateway's types. Anything else is a reason to kill the runner, and changes nothing.
@Suite struct IsolationFrameOrderTests {
    static let far = monotonicNanoseconds() &+ 60_000_000_000

    @Test("a frame type only the gateway sends breaks the protocol",
          arguments: [IsolationMessage.instanceNew, .prepare, .generate, .begin, .data, .end, .stateFree, .inspect, .callEnd, .cancel])
    func gatewayTypes(type: IsolationMessage) {
        let runner = IsolationProxyStateTests.runner("order-direction")
        let why = runner.handle(IsolationFrame(type: type, call: 0, payload: []))
        #expect(why?.contains("only the gateway sends") == true)
    }

    @Test("a verdict cannot answer a provider call, nor a reply an inspect")
    func answerKind() throws {
        let runner = IsolationProxyStateTests.runner("order-kind")
        let generate = PendingCall(id: 5, hook: "generate", deadline: Self.far, answer: .reply)
        let inspect = PendingCall(id: 6, hook: "inspect", deadline: Self.far, answer: .verdict)
        runner.lock.withLock {
            runner.pending[5] = generate
            runner.pending[6] = inspect
        }
        let reply = WireReply(status: SY_OK).encoded()
        #expect(runner.handle(IsolationFrame(type: .verdict, call: 5, payload: reply)) == "a verdict frame answered a call that takes a reply")
        #expect(runner.handle(IsolationFrame(type: .reply, call: 6, payload: reply)) == "a reply frame answered a call that takes a verdict")
        #expect(runner.lock.withLock { runner.pending.count } == 2)
        #expect(generate.wait(until: 0) == nil)
        // The right kinds answer.
        #expect(runner.handle(IsolationFrame(type: .reply, call: 5, payload: reply)) == nil)
        #expect(try generate.wait(until: 0)?.get().status == SY_OK)
        #expect(runner.lock.withLock { runner.pending.count } == 1)
        // An unknown call (answered after its runner was killed) is ignored.
        #expect(runner.handle(IsolationFrame(type: .reply, call: 99, payload: reply)) == nil)
    }

    @Test("one hello per runner, and only while it starts")
    func oneHello() {
        let runner = IsolationProxyStateTests.runner("order-hello")
        let hello = IsolationFrame(type: .hello, call: 0, payload: WireHello(status: SY_OK, id: "p", version: "1").encoded())
        #expect(runner.handle(hello) == nil)
        #expect(runner.lock.withLock { runner.hello?.id } == "p")
        #expect(runner.handle(hello) == "a second hello")
        let ready = IsolationProxyStateTests.runner("order-hello-ready")
        ready.lock.withLock { ready.phase = .ready }
        #expect(ready.handle(hello) == "a second hello")
        #expect(ready.lock.withLock { ready.hello } == nil)
    }
}

/// A runner of another build is refused by its hello, with a message that says why.
@Suite struct IsolationProtocolVersionTests {
    @Test("a hello of another protocol version, or of none, is a refusal naming both versions", arguments: [UInt32(0), WireHello.protocolVersion - 1, WireHello.protocolVersion + 1])
    func mismatch(spoken: UInt32) throws {
        var bytes: [UInt8] = []
        appendLittleEndian(spoken, to: &bytes)
        bytes += [UInt8](repeating: 0, count: 40)  // whatever another layout has next
        let hello = try WireHello(decoding: bytes)
        #expect(hello.status == SY_E_ABI)
        #expect(hello.message.contains("isolation protocol \(spoken), this gateway \(WireHello.protocolVersion)"))
    }

    @Test("the hello carries this build's protocol version first")
    func carried() throws {
        let bytes = WireHello(status: SY_OK, id: "p").encoded()
        #expect(readLittleEndian(UInt32.self, bytes, at: 0) == WireHello.protocolVersion)
        #expect(try WireHello(decoding: bytes).id == "p")
    }

    @Test("the runner is spawned from the running image, not from the path it had at start")
    func runningImage() {
        #expect(IsolatedRunner.executable == "/proc/self/exe")
    }
}

/// A restarted runner maps the metrics its instance defined at load, and defines nothing new.
@Suite struct IsolationRestartMetricsTests {
    @Test("metrics unknown at load are dropped on a restart; known ones map to the host's ids")
    func restartMetrics() {
        let runner = IsolationProxyStateTests.runner("metrics-restart")
        let requests = HostOp.metricDefine(kind: SY_METRIC_COUNTER, name: Array("requests_total".utf8), labels: Array("code".utf8), id: 1)
        runner.lock.withLock {
            runner.host = HostInstance(name: "metrics-restart", pluginID: "test.metrics")
            #expect(runner.mapMetrics([requests], firstLoad: true).isEmpty)
        }
        let first = runner.lock.withLock { runner.metricIDs[1] }
        #expect(first != nil)
        let again = HostOp.metricDefine(kind: SY_METRIC_COUNTER, name: Array("requests_total".utf8), labels: Array("code".utf8), id: 7)
        let fresh = HostOp.metricDefine(kind: SY_METRIC_GAUGE, name: Array("surprise".utf8), labels: [], id: 8)
        let relabelled = HostOp.metricDefine(kind: SY_METRIC_COUNTER, name: Array("requests_total".utf8), labels: Array("other".utf8), id: 9)
        let dropped = runner.lock.withLock { runner.mapMetrics([again, fresh, relabelled], firstLoad: false) }
        #expect(dropped == ["surprise", "requests_total"])
        #expect(runner.lock.withLock { runner.metricIDs } == [7: first!])
    }
}
