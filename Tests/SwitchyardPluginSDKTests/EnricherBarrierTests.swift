import SwitchyardPluginSDK
import Testing

/// The SDK's C boundary for enrichers, driven in-process through the table `PluginExport.entry`
/// hands out: a Swift error thrown in any hook comes back as its status and message, "not mine"
/// is SY_E_UNSUPPORTED, the report goes to the sink once, and state_free releases the
/// observation. (The plugins built on it are tested through dlopen in SwitchyardEnricherTests.)
@Suite(.serialized) struct EnricherBarrierTests {
    let table: UnsafePointer<sy_enricher_v1>
    let plugin: UnsafePointer<sy_plugin_api>

    init() throws {
        plugin = try BarrierHost.plugin()
        guard let raw = try BarrierHost.instance(plugin, config: #"{"fail_in":"nothing"}"#).interface else { throw BarrierError("no enricher table") }
        table = raw
    }

    @Test func theTableDeclaresItsPhasesAndOnlyTheEnricherInterface() throws {
        #expect(table.pointee.phases == SY_PHASE_REQUEST | SY_PHASE_RESPONSE)
        #expect(table.pointee.struct_size == UInt32(MemoryLayout<sy_enricher_v1>.size))
        let instance = try BarrierHost.instance(plugin, config: #"{"fail_in":"nothing"}"#)
        #expect(plugin.pointee.get_interface(instance.handle, SY_IFACE_PROVIDER) == nil)
        #expect(plugin.pointee.get_interface(instance.handle, SY_IFACE_GUARDRAIL) == nil)
    }

    @Test func aThrowingBeginReturnsItsStatusAndMessageAndNoState() throws {
        let instance = try BarrierHost.instance(plugin, config: #"{"fail_in":"begin"}"#)
        var call = BarrierCall(table, instance.handle)
        #expect(call.begin("/v1/chat/completions") == SY_E_INTERNAL)
        #expect(call.message == "begin broke at /v1/chat/completions")
        #expect(call.state == nil)
    }

    @Test func nilFromBeginIsNotMine() throws {
        let instance = try BarrierHost.instance(plugin, config: #"{"fail_in":"nothing"}"#)
        var call = BarrierCall(table, instance.handle)
        #expect(call.begin("/not-mine") == SY_E_UNSUPPORTED)
        #expect(call.state == nil)
    }

    @Test(arguments: ["response", "data", "end"])
    func aThrowingHookReturnsItsStatusAndTheObservationIsStillFreed(hook: String) throws {
        let instance = try BarrierHost.instance(plugin, config: #"{"fail_in":"\#(hook)"}"#)
        var call = BarrierCall(table, instance.handle)
        let freedBefore = Counting.freed
        #expect(call.begin("/v1/responses") == SY_OK)
        var messages: [String] = []
        var statuses: [sy_status] = []
        statuses.append(call.response()); messages.append(call.message)
        statuses.append(call.data(SY_PHASE_REQUEST, "{}")); messages.append(call.message)
        statuses.append(call.end(SY_OK)); messages.append(call.message)
        let expected: [sy_status] = switch hook {
        case "response": [SY_E_UPSTREAM, SY_OK, SY_OK]
        case "data": [SY_OK, SY_E_INVALID, SY_OK]
        default: [SY_OK, SY_OK, SY_E_TIMEOUT]
        }
        #expect(statuses == expected)
        #expect(messages.filter { !$0.isEmpty } == ["\(hook) broke"])
        if hook == "end" { #expect(BarrierHost.reports.isEmpty) }
        call.free()
        #expect(Counting.freed == freedBefore + 1)
    }

    @Test func endWritesOneReportAndPassesTheOutcome() throws {
        let instance = try BarrierHost.instance(plugin, config: #"{"fail_in":"nothing"}"#)
        var call = BarrierCall(table, instance.handle)
        #expect(call.begin("/v1/embeddings") == SY_OK)
        #expect(call.data(SY_PHASE_RESPONSE, "abc") == SY_OK)
        #expect(call.end(SY_E_CANCELLED) == SY_OK)
        #expect(BarrierHost.reports == [#"{"operation":"bytes 3","model":"cancelled","audit_path":"/v1/embeddings"}"#])
        call.free()
    }

    @Test func aRefusedReportOrAnUnknownPhaseIsAnError() throws {
        let instance = try BarrierHost.instance(plugin, config: #"{"fail_in":"nothing"}"#)
        var call = BarrierCall(table, instance.handle)
        #expect(call.begin("/v1/embeddings") == SY_OK)
        #expect(call.data(8, "x") == SY_E_INVALID)
        #expect(call.message == "data for unknown phase 8")
        BarrierHost.refuse = true
        defer { BarrierHost.refuse = false }
        #expect(call.end(SY_OK) == SY_E_INVALID)
        #expect(call.message.contains("refused the enrichment report"))
        call.free()
    }

    @Test func aBadConfigIsRefusedAtInstanceCreation() {
        #expect(throws: BarrierError.self) { try BarrierHost.instance(plugin, config: "{}") }
        #expect(BarrierHost.lastError == "fail_in is required")
    }
}

/// An enricher whose `fail_in` hook throws; otherwise it reports the bytes it saw and the outcome.
final class ThrowingEnricher: Enricher {
    static let phases: ExchangePhases = [.request, .response]
    let failIn: String

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        guard let hook = config["fail_in"]?.stringValue else { throw .config("fail_in is required") }
        failIn = hook
    }

    func begin(_ call: PluginCall, info: CallInfo, request: ExchangeHead) throws(PluginError) -> (any EnrichmentObservation)? {
        if failIn == "begin" { throw PluginError(SY_E_INTERNAL, "begin broke at \(request.path)") }
        if request.path == "/not-mine" { return nil }
        return Counting(failIn: failIn, path: request.path)
    }
}

final class Counting: EnrichmentObservation {
    nonisolated(unsafe) static var freed = 0
    let failIn: String
    let path: String
    var bytes = 0

    init(failIn: String, path: String) {
        self.failIn = failIn
        self.path = path
    }

    deinit { Counting.freed += 1 }

    func response(_ head: ExchangeHead) throws(PluginError) {
        if failIn == "response" { throw PluginError(SY_E_UPSTREAM, "response broke") }
    }

    func data(_ chunk: UnsafeRawBufferPointer, phase: ExchangePhase) throws(PluginError) {
        if failIn == "data" { throw .invalid("data broke") }
        bytes += chunk.count
    }

    func end(_ outcome: ExchangeOutcome) throws(PluginError) -> EnrichmentReport {
        if failIn == "end" { throw PluginError(SY_E_TIMEOUT, "end broke") }
        return EnrichmentReport(operation: "bytes \(bytes)", model: outcome == .cancelled ? "cancelled" : "\(outcome)", auditPath: path)
    }
}

/// A minimal host for the in-process table: sink writes are recorded (or refused), logs dropped.
enum BarrierHost {
    nonisolated(unsafe) static var reports: [String] = []
    nonisolated(unsafe) static var refuse = false
    nonisolated(unsafe) static var lastError = ""

    nonisolated(unsafe) static let api: UnsafeMutablePointer<sy_host_api> = {
        let api = UnsafeMutablePointer<sy_host_api>.allocate(capacity: 1)
        api.initialize(to: sy_host_api())
        api.pointee.struct_size = UInt32(MemoryLayout<sy_host_api>.size)
        api.pointee.abi_minor = SY_ABI_MINOR
        api.pointee.log_enabled = { _, _ in 0 }
        api.pointee.log = { _, _, _, _ in }
        api.pointee.sink_write = { _, sink, kind, data in
            guard sink == 42, kind == SY_OUT_META_JSON, !BarrierHost.refuse else { return SY_E_INVALID }
            BarrierHost.reports.append(String(decoding: UnsafeRawBufferPointer(start: data.ptr, count: data.len), as: UTF8.self))
            return SY_OK
        }
        return api
    }()

    static func plugin() throws -> UnsafePointer<sy_plugin_api> {
        var negotiate = sy_negotiate(struct_size: UInt32(MemoryLayout<sy_negotiate>.size), abi_major: SY_ABI_MAJOR, abi_minor: SY_ABI_MINOR,
                                     required_minor: 0, host: UnsafePointer(api), plugin: nil)
        let definition = PluginDefinition.enricher(ThrowingEnricher.self, id: "test.enricher.throwing", version: "0.0.1",
                                                   manifest: #"{"kinds":["enricher"],"interfaces":["switchyard.enricher/1"]}"#)
        guard PluginExport.entry(&negotiate, definition) == SY_OK, let plugin = negotiate.plugin else { throw BarrierError("negotiation failed") }
        return plugin
    }

    struct Instance {
        let handle: sy_instance?
        let interface: UnsafePointer<sy_enricher_v1>?
    }

    static func instance(_ plugin: UnsafePointer<sy_plugin_api>, config: String) throws -> Instance {
        var error = sy_error()
        error.struct_size = UInt32(MemoryLayout<sy_error>.size)
        var instance: sy_instance?
        let bytes = Array(config.utf8)
        let status = bytes.withUnsafeBufferPointer { plugin.pointee.instance_new(nil, sy_bytes(ptr: $0.baseAddress, len: $0.count), &instance, &error) }
        guard status == SY_OK else {
            lastError = BarrierCall.text(error)
            throw BarrierError("instance_new: \(status)")
        }
        let raw = plugin.pointee.get_interface(instance, SY_IFACE_ENRICHER)
        return Instance(handle: instance, interface: raw?.assumingMemoryBound(to: sy_enricher_v1.self))
    }
}

/// One call through the table, holding the state between hooks like the host does.
struct BarrierCall {
    let table: UnsafePointer<sy_enricher_v1>
    let instance: sy_instance?
    var state: sy_state?
    var error = sy_error()

    init(_ table: UnsafePointer<sy_enricher_v1>, _ instance: sy_instance?) {
        self.table = table
        self.instance = instance
        BarrierHost.reports = []
    }

    var message: String { Self.text(error) }

    mutating func begin(_ path: String) -> sy_status {
        reset()
        return Self.head(path) { head in table.pointee.begin(instance, nil, nil, head, &state, &error) }
    }

    mutating func response() -> sy_status {
        reset()
        return Self.head("") { head in table.pointee.response(state, head, &error) }
    }

    mutating func data(_ phase: UInt32, _ text: String) -> sy_status {
        reset()
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { table.pointee.data(state, phase, sy_bytes(ptr: $0.baseAddress, len: $0.count), &error) }
    }

    mutating func end(_ outcome: sy_status) -> sy_status {
        reset()
        return table.pointee.end(state, outcome, 42, &error)
    }

    mutating func free() {
        table.pointee.state_free(state)
        state = nil
    }

    private mutating func reset() {
        error = sy_error()
        error.struct_size = UInt32(MemoryLayout<sy_error>.size)
    }

    private static func head<R>(_ path: String, _ body: (UnsafePointer<sy_exchange_head>) -> R) -> R {
        let method = Array("POST".utf8), path = Array(path.utf8)
        return method.withUnsafeBufferPointer { m in
            path.withUnsafeBufferPointer { p in
                var head = sy_exchange_head(struct_size: UInt32(MemoryLayout<sy_exchange_head>.size), http_status: 200,
                                            method: sy_bytes(ptr: m.baseAddress, len: m.count), path: sy_bytes(ptr: p.baseAddress, len: p.count),
                                            headers: nil, header_count: 0)
                return body(&head)
            }
        }
    }

    static func text(_ error: sy_error) -> String {
        var error = error
        return withUnsafeBytes(of: &error.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}

struct BarrierError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
