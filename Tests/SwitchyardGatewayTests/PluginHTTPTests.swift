import CSwitchyardPlugin
import Foundation
import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardHTTP
@testable import SwitchyardPlugins
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// `http_send` as the gateway runs it: a real plugin (the C fixture good_provider.c, loaded
/// through dlopen) calls the host from its `generate` hook on a running event loop, the request
/// goes out through the loop's UpstreamClient to a local HTTP server, and the answer comes back
/// to the plugin's handler on the loop.
@Suite(.serialized) struct PluginHTTPTests {
    @Test func anAbsoluteURLIsFetchedAndTheAnswerReachesThePlugin() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        // Nothing arrives inside http_send: the report taken in the same loop turn is empty.
        let sameTurn = harness.onLoop { [harness] in
            (harness.generate("send 0 \(harness.url("/echo"))", call: call), harness.generate("report", call: call))
        }
        #expect(sameTurn?.0.hasPrefix(#"{"send":0,"#) == true)
        #expect(sameTurn?.1 == #"{"status":0,"seen":"","body":"","done":0,"result":0}"#)
        // The plugin's forged marker header never leaves the host.
        #expect(harness.waitForDone(call) == #"{"status":200,"seen":"none","body":"pong","done":1,"result":0}"#)
        #expect(harness.onLoop { harness.http.runningCount } == 0)
    }

    @Test func aPathGoesToTheGatewayItselfMarkedInternal() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        #expect(harness.run("send 0 /echo", call: call).hasPrefix(#"{"send":0,"#))
        #expect(harness.waitForDone(call) == #"{"status":200,"seen":"\#(harness.internalRequests.secret)","body":"pong","done":1,"result":0}"#)
    }

    @Test func aPathBeforeTheGatewayListensIsUnsupported() throws {
        let harness = try CallServicesHarness(listening: false)
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        #expect(harness.run("send 0 /echo", call: call).hasPrefix(#"{"send":-2,"#))
    }

    @Test func offTheLoopThreadItIsRefused() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        // A hook on a worker (or a plugin's own thread) is not the call's loop.
        #expect(harness.run("send 0 \(harness.url("/echo"))", call: call, onLoop: false).hasPrefix(#"{"send":-11,"#))
        #expect(harness.onLoop { harness.http.runningCount } == 0)
    }

    @Test func theResponseIsBoundedByTheServersLimit() throws {
        let harness = try CallServicesHarness(maxResponseBytes: 100)
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        _ = harness.run("send 0 \(harness.url("/big"))", call: call)
        let report = harness.waitForDone(call)
        #expect(report.contains(#""done":1,"result":-6}"#), "\(report)")  // SY_E_UPSTREAM
        #expect(report.contains(#""body":"""#))  // nothing past the bound reached the plugin
    }

    @Test func aPluginThatRefusesDataAbortsTheRequest() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        // The fixture's buffer holds 127 bytes: on_data returns SY_E_NOMEM for the 300.
        _ = harness.run("send 0 \(harness.url("/big"))", call: call)
        #expect(harness.waitForDone(call).hasSuffix(#""done":1,"result":-4}"#))  // SY_E_CANCELLED
    }

    @Test func timeoutMillisecondsBoundTheExchange() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        let started = monotonicNanoseconds()
        _ = harness.run("send 200 \(harness.url("/slow"))", call: call)
        #expect(harness.waitForDone(call).hasSuffix(#""done":1,"result":-7}"#))  // SY_E_TIMEOUT
        #expect(monotonicNanoseconds() - started < 2_000_000_000)
    }

    @Test func anUnreachableURLFailsAsUpstream() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        _ = harness.run("send 2000 http://127.0.0.1:\(closedPort())/x", call: call)
        #expect(harness.waitForDone(call).hasSuffix(#""done":1,"result":-6}"#))
    }

    @Test func httpCancelDeliversDoneOnceAndLater() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        _ = harness.run("send 0 \(harness.url("/slow"))", call: call)
        // Cancel and look in the same loop turn: on_done has not run inside http_cancel.
        let sameTurn = harness.onLoop { [harness] in
            (harness.generate("cancel", call: call), harness.generate("report", call: call))
        }
        #expect(sameTurn?.1.contains(#""done":0"#) == true)
        #expect(harness.waitForDone(call).hasSuffix(#""done":1,"result":-4}"#))
        Thread.sleep(forTimeInterval: 0.1)
        #expect(harness.run("report", call: call).hasSuffix(#""done":1,"result":-4}"#))  // once
    }

    @Test func theCallEndingCancelsWhatRuns() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        _ = harness.run("send 0 \(harness.url("/slow"))", call: call)
        harness.onLoop { call.end() }
        #expect(harness.waitForDone(call).hasSuffix(#""done":1,"result":-4}"#))
        #expect(harness.onLoop { harness.http.runningCount } == 0)
        // The ended call sends nothing more.
        #expect(harness.run("send 0 \(harness.url("/echo"))", call: call).hasPrefix(#"{"send":-4,"#))
    }

    @Test func aLoopReusesAnEndedCallOnlyWhenNothingElseHoldsIt() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let reused = harness.onLoop { [harness] () -> (Bool, Bool) in
            let context = LoopContext(loop: harness.loop)
            let source = PlanSource()
            var call: PluginCall? = context.makePluginCall()
            call!.open(source: source)
            let first = ObjectIdentifier(call!)
            call!.end()
            context.keepEnded(call!)
            call = nil
            let second = context.makePluginCall()
            let wasReused = ObjectIdentifier(second) == first
            second.open(source: source)
            second.end()
            context.keepEnded(second)
            let holder = second  // e.g. the handler of an http_send still running
            let third = context.makePluginCall()
            return (wasReused, third !== holder)
        }
        #expect(reused?.0 == true)
        #expect(reused?.1 == true)
    }

    @Test func metadataComesFromThePlanWhenAsked() throws {
        let harness = try CallServicesHarness()
        defer { harness.shutdown() }
        let call = harness.openCall()
        defer { harness.onLoop { call.end() } }
        #expect(harness.run("metadata", call: call) == #"{"cancelled":0,"metadata":{"request_id":"req-9","endpoint":"chat_completions","mode":"translated","model":"resolved-m","requested_model":"asked-m","provider":"oai","attempt":0,"stream":false}}"#)
    }

    func closedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        close(fd)  // bound, never listened: connections are refused
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// The internal marker as the responder reads it.
@Suite struct InternalRequestsTests {
    @Test func onlyTheRightSecretMarksARequestAndTheHeaderIsStripped() {
        let internalRequests = InternalRequests(secret: "s3")
        #expect(InternalRequests.headerName.utf8.count == InternalRequests.headerLength)
        let marked = HTTPHeaders([("Host", "x"), ("x-switchyard-internal", "s3")])
        #expect(internalRequests.carriesSecret(marked))
        #expect(!internalRequests.carriesSecret(HTTPHeaders([("X-Switchyard-Internal", "s4")])))
        #expect(!internalRequests.carriesSecret(HTTPHeaders([("X-Switchyard-Internal", "s3"), ("X-Switchyard-Internal", "no")])))
        #expect(!internalRequests.carriesSecret(HTTPHeaders([("Host", "x"), ("X-Switchyard-Internat", "s3")])))
        let request = HTTPRequest(method: "POST", target: "/v1/chat/completions?a=1", version: "HTTP/1.1", headers: marked, body: [1],
                                  requestID: "r", receivedAt: 7)
        let stripped = internalRequests.stripped(request)
        #expect(stripped.headers.pairs.map(\.name) == ["Host"])
        #expect(stripped.path == "/v1/chat/completions" && stripped.query == "a=1" && stripped.body == [1] && stripped.requestID == "r")
    }

    @Test func wildcardListenersAreReachedOnLoopback() throws {
        let internalRequests = InternalRequests()
        #expect(internalRequests.url(forPath: "/v1/models") == nil)
        internalRequests.listening(on: try SocketAddress.resolve(host: "0.0.0.0", port: 8123).first)
        #expect(internalRequests.url(forPath: "/v1/models") == "http://127.0.0.1:8123/v1/models")
        internalRequests.listening(on: try SocketAddress.resolve(host: "::", port: 8124).first)
        #expect(internalRequests.url(forPath: "/x") == "http://[::1]:8124/x")
        #expect(InternalRequests.randomSecret().count == 32 && InternalRequests.randomSecret() != InternalRequests.randomSecret())
    }

    @Test func anInternalRequestIsPlannedWithoutGuardrails() throws {
        // A guardrail that allows everything, as a table made here (no library needed).
        let table = UnsafeMutablePointer<sy_guardrail_v1>.allocate(capacity: 1)
        defer { table.deallocate() }
        table.initialize(to: sy_guardrail_v1(
            struct_size: UInt32(MemoryLayout<sy_guardrail_v1>.size), phases: SY_PHASE_REQUEST,
            inspect: { _, _, _, _, _, _, _ in SY_OK }, call_end: nil))
        let plugin = try #require(GuardrailPlugin(name: "allow", instance: nil, table: table))
        let routing = RoutingTable(providers: [RoutingTable.Provider(name: "p", plugin: "p", models: ["m"])], aliases: [:])
        let planner = PlanBuilder(routing: routing, guardrails: [ConfiguredGuardrail(entry: GuardrailEntry(plugin: "allow"), plugin: plugin)],
                                  providerOperations: ["p": ["chat_completions"]])
        let ordinary = try planner.plan(requestID: "r", operation: .chatCompletions, model: "m", stream: false)
        #expect(!ordinary.internalRequest && ordinary.chains.guardrails == ["allow"])
        let internalPlan = try planner.plan(requestID: "r", operation: .chatCompletions, model: "m", stream: false, internalRequest: true)
        #expect(internalPlan.internalRequest && internalPlan.chains.guardrails.isEmpty)
    }
}

/// The far side of a plugin's request. /echo answers "pong" with `X-Seen:` the marker header
/// it received ("none" without one); /big sends 300 bytes; /slow answers after 3 s.
final class OutOfBandUpstream: HTTPResponder, @unchecked Sendable {
    func respond(to request: HTTPRequest, writer: ResponseWriter) {
        switch request.path {
        case "/echo":
            let seen = request.headers[InternalRequests.headerName] ?? "none"
            writer.send(status: 200, headers: HTTPHeaders([("X-Seen", seen)]), body: Array("pong".utf8))
        case "/big":
            writer.send(status: 200, headers: HTTPHeaders(), body: Array(repeating: UInt8(ascii: "b"), count: 300))
        case "/slow":
            writer.loop.schedule(after: 3_000_000_000) { writer.send(status: 200, headers: HTTPHeaders(), body: []) }
        default:
            writer.send(status: 404, headers: HTTPHeaders(), body: [])
        }
    }
}

/// A request's plan, as the executor would give it.
final class PlanSource: PluginCallSource {
    var callRequestID: String { "req-9" }
    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(requestID: "req-9", endpoint: "chat_completions", mode: "translated", model: "resolved-m",
                        requestedModel: "asked-m", provider: "oai", stream: false)
    }
}

/// Collects what a hook wrote to its sink.
final class Written: PluginSinkTarget {
    var json: [String] = []
    func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
        if kind == SY_OUT_JSON { json.append(String(decoding: bytes, as: UTF8.self)) }
        return SY_OK
    }
}

/// A running event loop with the gateway's out-of-band HTTP on it, a local server to talk to,
/// and the good fixture as the plugin.
final class CallServicesHarness: @unchecked Sendable {
    let server: HTTPServer
    let loop: EventLoop
    let http: LoopPluginHTTP
    let internalRequests = InternalRequests()
    let provider: ProviderPlugin
    private let instance: PluginInstance
    private let source = PlanSource()
    private let thread: Thread

    init(maxResponseBytes: Int = 1 << 20, listening: Bool = true) throws {
        var configuration = HTTPServerConfiguration()
        configuration.loops = 1
        server = try HTTPServer(configuration: configuration, responder: OutOfBandUpstream())
        try server.start()
        if listening { internalRequests.listening(on: server.addresses.first) }
        let loop = try EventLoop()
        self.loop = loop
        http = LoopPluginHTTP(upstream: UpstreamClient(loop: loop), internalRequests: internalRequests, maxResponseBytes: maxResponseBytes)
        thread = Thread { loop.run() }
        thread.start()
        let library = try PluginLibrary.load(path: try GoodFixture.path())
        instance = try library.instantiate(name: "call-services-\(UInt32.random(in: 0...UInt32.max))", configJSON: Array("{}".utf8))
        guard let table = instance.interface(SY_IFACE_PROVIDER),
              let provider = ProviderPlugin(name: instance.name, instance: instance.pluginInstance, table: table)
        else { throw GoodFixture.FixtureBuildFailed() }
        self.provider = provider
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(server.port)\(path)" }

    func openCall() -> PluginCall {
        PluginCall(source: source, http: http)
    }

    /// The fixture's `generate` with `command` on the calling thread; what it wrote.
    func generate(_ command: String, call: PluginCall) -> String {
        let written = Written()
        let description = CallDescription(operation: SY_OP_CHAT_COMPLETIONS, stream: false, attempt: 0, requestID: "req-9",
                                          upstreamModel: "m", handle: call.handle)
        _ = Array(command.utf8).withUnsafeBytes { provider.generate(description, body: $0, output: written) }
        return written.json.first ?? ""
    }

    /// `generate` on the loop (as the gateway runs it), or on this thread.
    func run(_ command: String, call: PluginCall, onLoop: Bool = true) -> String {
        onLoop ? self.onLoop { [self] in generate(command, call: call) } ?? "" : generate(command, call: call)
    }

    /// Polls the fixture's report until its handler got on_done (bounded).
    func waitForDone(_ call: PluginCall, seconds: Double = 10) -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var report = ""
        repeat {
            report = run("report", call: call)
            if !report.contains(#""done":0"#) { return report }
            Thread.sleep(forTimeInterval: 0.02)
        } while Date() < deadline
        return report
    }

    @discardableResult
    func onLoop<T>(_ body: @escaping () -> T) -> T? { runOnLoop(loop, body) }

    func shutdown() {
        loop.stop()
        server.shutdown(grace: 1_000_000_000)
    }
}

/// Runs `body` on `loop` and waits for its result (nil after 10 s).
func runOnLoop<T>(_ loop: EventLoop, _ body: @escaping () -> T) -> T? {
    let box = ResultBox<T>()
    let ready = DispatchSemaphore(value: 0)
    let work = UncheckedWork { box.value = body(); ready.signal() }
    loop.execute { work.run() }
    guard ready.wait(timeout: .now() + 10) == .success else { return nil }
    return box.value
}

final class ResultBox<T>: @unchecked Sendable { var value: T? }

struct UncheckedWork: @unchecked Sendable {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Tests/SwitchyardPluginsTests/Fixtures/good_provider.c, built once per test process.
enum GoodFixture {
    private static let built: Result<String, any Error> = Result { try build("Tests/SwitchyardPluginsTests/Fixtures/good_provider.c", as: "good") }

    /// The repository's C file `source` built as a plugin library named after `name`.
    static func build(_ source: String, as name: String) throws -> String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-gateway-fixture-\(getpid())-\(name).so").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-std=c11", "-D_GNU_SOURCE", "-fPIC", "-fvisibility=hidden", "-Wall", "-Wextra", "-Werror", "-shared",
                             "-I", repository.appendingPathComponent("plugin-sdk/include").path, "-o", output,
                             repository.appendingPathComponent(source).path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureBuildFailed() }
        return output
    }

    static func path() throws -> String { try built.get() }

    struct FixtureBuildFailed: Error {}
}
