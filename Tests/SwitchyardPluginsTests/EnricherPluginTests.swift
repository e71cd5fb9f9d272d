import CSwitchyardPlugin
import Foundation
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// `EnricherPlugin` and `EnricherObservation` driving the C test enricher
/// (Tests/EndToEnd/plugins/test_enricher.c) loaded through dlopen as the gateway loads it. The
/// fixture counts the hooks it enters per instance and reports the counts, so a test reads
/// from the next call's report how often state_free ran for the previous ones.
@Suite struct EnricherPluginTests {
    static let source = "Tests/EndToEnd/plugins/test_enricher.c"

    /// One instance of the fixture with `config`, under a name unique to the test.
    struct Loaded {
        let instance: PluginInstance
        let enricher: EnricherPlugin

        init(_ name: String, config: String = "{}") throws {
            let library = try PluginLibrary.load(path: try Fixtures.plugin(EnricherPluginTests.source), entry: name)
            instance = try library.instantiate(name: name, configJSON: Array(config.utf8))
            let table = try #require(instance.interface(SY_IFACE_ENRICHER))
            enricher = try #require(EnricherPlugin(name: name, instance: instance.pluginInstance, hostInstance: instance.host.handle, table: table))
        }

        func begin(_ path: String = "/v1/chat/completions", deadline: UInt64 = 0) -> EnricherPlugin.Begin {
            let call = CallDescription(operation: SY_OP_PASSTHROUGH, stream: false, attempt: 0, requestID: "req-enrich", upstreamModel: "")
            let head = ExchangeHead(method: "POST", path: path, headers: [("content-type", "application/json"), ("x-trace", "1")])
            return enricher.begin(call, request: head, deadline: deadline)
        }

        func observe(_ path: String = "/v1/chat/completions", deadline: UInt64 = 0) throws -> EnricherObservation {
            guard case .observing(let observation) = begin(path, deadline: deadline) else {
                Issue.record("begin did not observe \(path)")
                throw Failed()
            }
            return observation
        }

        /// A whole call with no body: begin, response 200, end; its report.
        func report() throws -> JSONValue {
            let observation = try observe()
            #expect(observation.response(ExchangeHead(status: 200, method: "POST", path: "/v1/chat/completions")) == nil)
            defer { observation.close() }
            return try parsed(observation.end(outcome: SY_OK))
        }

        /// The fixture's hook counts so far, read from a fresh call's report (which adds one
        /// begin, one response and one end of its own, and is freed before this returns).
        func counts() throws -> (begins: Int, ends: Int, frees: Int) {
            let attributes = try report()["attributes"]
            return (attributes?["begins"]?.intValue ?? -1, attributes?["ends"]?.intValue ?? -1, attributes?["frees"]?.intValue ?? -1)
        }
    }

    struct Failed: Error {}

    static func parsed(_ result: Result<[UInt8]?, PluginFailure>) throws -> JSONValue {
        switch result {
        case .success(let bytes?): return try JSONValue.parse(bytes)
        case .success(nil): Issue.record("no report"); throw Failed()
        case .failure(let failure): Issue.record("end failed: \(failure)"); throw Failed()
        }
    }

    /// `.success(nil)`: end was skipped or reported nothing.
    static func isNoReport(_ result: Result<[UInt8]?, PluginFailure>) -> Bool {
        if case .success(nil) = result { return true }
        return false
    }

    static func failure(_ result: Result<[UInt8]?, PluginFailure>) -> PluginFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    @Test func aWholeCallReachesEveryHookAndReportsOnce() throws {
        let loaded = try Loaded("enrich-whole")
        #expect(loaded.enricher.phases == SY_PHASE_REQUEST | SY_PHASE_RESPONSE)
        let observation = try loaded.observe("/v1/chat/completions?x=1")
        let request = [UInt8](repeating: UInt8(ascii: "q"), count: 10)
        let response = [UInt8](repeating: UInt8(ascii: "r"), count: 7)
        #expect(request.withUnsafeBytes { observation.data(phase: SY_PHASE_REQUEST, $0) } == nil)
        #expect(observation.response(ExchangeHead(status: 201, method: "POST", path: "/v1/chat/completions?x=1", headers: [("a", "b")])) == nil)
        #expect(response.withUnsafeBytes { observation.data(phase: SY_PHASE_RESPONSE, $0) } == nil)
        #expect(response.withUnsafeBytes { observation.data(phase: SY_PHASE_RESPONSE, UnsafeRawBufferPointer(rebasing: $0.prefix(3))) } == nil)
        let report = try Self.parsed(observation.end(outcome: SY_E_CANCELLED))
        #expect(report["operation"] == .string("test") && report["model"] == .string("test-model"))
        #expect(report["usage"] == ["prompt_tokens": 1, "completion_tokens": 2])
        let attributes = try #require(report["attributes"])
        #expect(attributes["method"] == .string("POST") && attributes["path"] == .string("/v1/chat/completions?x=1"))
        #expect(attributes["request_headers"]?.intValue == 2 && attributes["status"]?.intValue == 201)
        #expect(attributes["data_calls"]?.intValue == 3 && attributes["request_bytes"]?.intValue == 10 && attributes["response_bytes"]?.intValue == 10)
        #expect(attributes["outcome"]?.intValue == Int(SY_E_CANCELLED))
        #expect(attributes["frees"]?.intValue == 0)
        #expect(!observation.isObserving)
        // After end nothing reaches the plugin but state_free.
        #expect(response.withUnsafeBytes { observation.data(phase: SY_PHASE_RESPONSE, $0) } == nil)
        #expect(Self.isNoReport(observation.end(outcome: SY_OK)))
        observation.close()
        observation.close()  // idempotent
        let counts = try loaded.counts()
        #expect(counts.begins == 2 && counts.ends == 2 && counts.frees == 1)
    }

    @Test func onlyTheDeclaredPhasesReachData() throws {
        let loaded = try Loaded("enrich-phases", config: #"{"phases":2}"#)
        #expect(loaded.enricher.phases == SY_PHASE_RESPONSE)
        let observation = try loaded.observe()
        defer { observation.close() }
        let bytes: [UInt8] = Array("0123456789".utf8)
        bytes.withUnsafeBytes { raw in
            #expect(observation.data(phase: SY_PHASE_REQUEST, raw) == nil)
            #expect(observation.data(phase: SY_PHASE_RESPONSE, raw) == nil)
            #expect(observation.data(phase: SY_PHASE_CHUNK, raw) == nil)  // not an enricher phase
        }
        let attributes = try Self.parsed(observation.end(outcome: SY_OK))["attributes"]
        #expect(attributes?["data_calls"]?.intValue == 1 && attributes?["request_bytes"]?.intValue == 0 && attributes?["response_bytes"]?.intValue == 10)
    }

    @Test func declineIsNotAFailureAndFreesNothing() throws {
        let loaded = try Loaded("enrich-decline")
        guard case .declined = loaded.begin("/v1/files?decline=1") else {
            Issue.record("expected .declined")
            return
        }
        let counts = try loaded.counts()
        #expect(counts.begins == 2 && counts.frees == 0)
    }

    @Test func aFailingBeginIsAFailureAndItsStateIsNotTheHostsToFree() throws {
        let loaded = try Loaded("enrich-begin-fails")
        guard case .failed(let failure) = loaded.begin("/v1/chat/completions?fail=begin") else {
            Issue.record("expected .failed")
            return
        }
        #expect(failure.status == SY_E_INTERNAL && failure.message == "deliberate failure in begin")
        let counts = try loaded.counts()
        #expect(counts.begins == 2 && counts.frees == 0)
    }

    @Test("a failing hook ends the enricher's part at once: state freed once, later hooks skipped", arguments: ["response", "data", "end"])
    func aFailingHookEndsTheObservation(hook: String) throws {
        let loaded = try Loaded("enrich-fails-in-\(hook)")
        let observation = try loaded.observe("/v1/chat/completions?fail=\(hook)")
        let chunk: [UInt8] = Array("abc".utf8)
        var failures: [PluginFailure] = []
        if let failure = observation.response(ExchangeHead(status: 200, method: "POST", path: "/")) { failures.append(failure) }
        if let failure = chunk.withUnsafeBytes({ observation.data(phase: SY_PHASE_RESPONSE, $0) }) { failures.append(failure) }
        if let failure = Self.failure(observation.end(outcome: SY_OK)) { failures.append(failure) }
        #expect(failures.count == 1)
        #expect(failures.first?.status == SY_E_INTERNAL && failures.first?.message == "deliberate failure in \(hook)")
        #expect(!observation.isObserving)
        observation.close()
        let counts = try loaded.counts()
        #expect(counts.begins == 2 && counts.frees == 1, "state_free exactly once for the failed call")
        #expect(counts.ends == (hook == "end" ? 2 : 1), "end is not called after an earlier hook failed")
    }

    @Test func aStateIsFreedWhenTheObservationGoesAwayWithoutEnd() throws {
        let loaded = try Loaded("enrich-dropped")
        do {
            let observation = try loaded.observe()
            #expect(observation.response(ExchangeHead(status: 502, method: "POST", path: "/")) == nil)
        }  // dropped: the call was cut short before end
        do {
            let closed = try loaded.observe()
            closed.close()
        }  // closed, then dropped: freed once, not twice
        let counts = try loaded.counts()
        #expect(counts.begins == 3 && counts.ends == 1 && counts.frees == 2)
    }

    @Test func aHookPastTheDeadlineEndsTheObservation() throws {
        let loaded = try Loaded("enrich-slow")
        let observation = try loaded.observe("/v1/chat/completions?slow_ms=30", deadline: 5_000_000)
        let failure = [UInt8]("x".utf8).withUnsafeBytes { observation.data(phase: SY_PHASE_REQUEST, $0) }
        #expect(failure?.status == SY_E_TIMEOUT)
        #expect(failure?.message.hasPrefix("data took ") == true && failure?.message.hasSuffix(", past its deadline of 5.0 ms") == true, "\(failure?.message ?? "")")
        #expect(!observation.isObserving)
        #expect(Self.isNoReport(observation.end(outcome: SY_OK)))
        // Within the deadline, every hook passes.
        let quick = try loaded.observe(deadline: 1_000_000_000)
        defer { quick.close() }
        #expect([UInt8]("x".utf8).withUnsafeBytes { quick.data(phase: SY_PHASE_REQUEST, $0) } == nil)
        let attributes = try Self.parsed(quick.end(outcome: SY_OK))["attributes"]
        #expect(attributes?["frees"]?.intValue == 1)
    }

    @Test("a report that is not one valid SY_OUT_META_JSON is refused and fails the enricher's part", arguments: [
        ("bad_report=1", "its report was refused: SY_OUT_META_JSON usage.prompt_tokens is not a non-negative integer"),
        ("report_kind=1", "end wrote SY_OUT_JSON; an enricher reports one SY_OUT_META_JSON"),
        ("report_kind=4", "end wrote SY_OUT_BYTES; an enricher reports one SY_OUT_META_JSON"),
        ("report_kind=99", "end wrote an unknown output kind (99); an enricher reports one SY_OUT_META_JSON"),
        ("report_twice=1", "end wrote a second SY_OUT_META_JSON; an enricher reports once"),
    ])
    func refusedReports(query: String, message: String) throws {
        let loaded = try Loaded("enrich-refused-\(query.prefix(while: { $0 != "=" }))-\(query.split(separator: "=").last ?? "")")
        let observation = try loaded.observe("/v1/chat/completions?\(query)")
        let failure = Self.failure(observation.end(outcome: SY_OK))
        #expect(failure?.status == SY_E_INVALID && failure?.message == message, "\(failure?.description ?? "no failure")")
        #expect(!observation.isObserving)
        let counts = try loaded.counts()
        #expect(counts.frees == 1, "the refused call's state was freed when end failed")
    }

    @Test func aConfiguredReportIsReturnedVerbatimAndAnEmptyEndIsNoReport() throws {
        let text = #"{"operation":"embeddings","model":"m","usage":{"prompt_tokens":5,"prompt_tokens_details":{"cached_tokens":2}},"audit_path":"/v1/embeddings"}"#
        let escaped = text.replacingOccurrences(of: "\"", with: "\\\"")
        let loaded = try Loaded("enrich-report", config: "{\"report\":\"\(escaped)\"}")
        let observation = try loaded.observe()
        defer { observation.close() }
        #expect(try observation.end(outcome: SY_OK).get() == Array(text.utf8))
        let silent = try loaded.observe("/v1/chat/completions?report_kind=0")
        defer { silent.close() }
        #expect(Self.isNoReport(silent.end(outcome: SY_OK)))
    }

    @Test func endsSinkIsDeadOnOtherThreadsAndAfterEndReturned() throws {
        let loaded = try Loaded("enrich-late-write")
        let first = try loaded.observe("/v1/chat/completions?late_write=1")
        _ = try Self.parsed(first.end(outcome: SY_OK))
        first.close()
        // The next call's first data() writes with the sink kept from the first call's end.
        let second = try loaded.observe()
        #expect([UInt8]("x".utf8).withUnsafeBytes { second.data(phase: SY_PHASE_REQUEST, $0) } == nil)
        let attributes = try Self.parsed(second.end(outcome: SY_OK))["attributes"]
        second.close()
        #expect(attributes?["late_write_thread"]?.intValue == Int(SY_E_HANDLE), "a thread of the plugin's own, while end ran")
        #expect(attributes?["late_write_data"]?.intValue == Int(SY_E_HANDLE), "the same thread, after end returned")
        #expect(PluginHandles.liveOnThisThread == 0)
    }

    @Test func unusableTablesAreRefused() throws {
        let loaded = try Loaded("enrich-tables")
        let original = try #require(loaded.instance.interface(SY_IFACE_ENRICHER)).assumingMemoryBound(to: sy_enricher_v1.self).pointee
        func accepts(_ edit: (inout sy_enricher_v1) -> Void) -> Bool {
            var table = original
            edit(&table)
            return withUnsafePointer(to: &table) { EnricherPlugin(name: "t", instance: nil, table: UnsafeRawPointer($0)) } != nil
        }
        #expect(accepts { _ in })
        #expect(accepts { $0.response = nil }, "response is optional")
        #expect(accepts { $0.phases = 0 }, "heads only")
        #expect(!accepts { $0.struct_size = UInt32(MemoryLayout<sy_enricher_v1>.size - 8) })
        #expect(!accepts { $0.begin = nil })
        #expect(!accepts { $0.data = nil })
        #expect(!accepts { $0.end = nil })
        #expect(!accepts { $0.state_free = nil })
        var chunky = original
        chunky.phases = 0xFF
        let masked = withUnsafePointer(to: &chunky) { EnricherPlugin(name: "t", instance: nil, table: UnsafeRawPointer($0)) }
        #expect(masked?.phases == SY_PHASE_REQUEST | SY_PHASE_RESPONSE)
    }
}
