import CSwitchyardPlugin
import Foundation
@testable import SwitchyardPlugins
import SwitchyardJSON
import Testing

/// What the host checks in a provider's writes before a client sees them (PluginOutputCheck),
/// and how a refused write fails the call through ProviderPlugin, with a real C plugin.
@Suite struct PluginOutputCheckTests {
    func admit(_ check: inout PluginOutputCheck, _ kind: UInt32, _ bytes: [UInt8]) -> sy_status {
        bytes.withUnsafeBytes { check.admit(kind: kind, $0) }
    }

    func admit(_ check: inout PluginOutputCheck, _ kind: UInt32, _ text: String) -> sy_status {
        admit(&check, kind, Array(text.utf8))
    }

    @Test(arguments: [
        (#"{"id":"x","choices":[]}"#, true), (" {}\n", true), ("", false), ("[]", false), (#""text""#, false),
        (#"{"a":1} {"b":2}"#, false), (#"{"a":1,}"#, false), ("data: {}", false), (#"{"a":"\u0000"}"#, true),
    ])
    func aResponseIsExactlyOneJSONObject(_ text: String, _ accepted: Bool) {
        var check = PluginOutputCheck(stream: false)
        #expect((admit(&check, SY_OUT_JSON, text) == SY_OK) == accepted)
        #expect((check.problem == nil) == accepted)
    }

    @Test func invalidUTF8IsRefusedWhereverItIs() {
        for bad: [UInt8] in [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82]] {
            var check = PluginOutputCheck(stream: true)
            #expect(admit(&check, SY_OUT_JSON, Array(#"{"content":"a"#.utf8) + bad + Array(#"b"}"#.utf8)) == SY_E_INVALID)
            #expect(check.problem?.contains("UTF-8") == true)
        }
        var check = PluginOutputCheck(stream: true)
        #expect(admit(&check, SY_OUT_JSON, #"{"content":"héllo ✓ 😀"}"#) == SY_OK)
    }

    @Test func aCallThatIsNotAStreamTakesOneWholeResponse() {
        var whole = PluginOutputCheck(stream: false)
        #expect(admit(&whole, SY_OUT_JSON, "{}") == SY_OK)
        #expect(admit(&whole, SY_OUT_JSON, "{}") == SY_E_INVALID)
        #expect(whole.problem?.contains("second SY_OUT_JSON") == true)
        var stream = PluginOutputCheck(stream: true)
        for _ in 0..<3 { #expect(admit(&stream, SY_OUT_JSON, "{}") == SY_OK) }
    }

    @Test func afterARefusalEveryWriteIsRefused() {
        var check = PluginOutputCheck(stream: true)
        #expect(admit(&check, SY_OUT_JSON, "{}") == SY_OK)
        #expect(admit(&check, SY_OUT_JSON, "nope") == SY_E_INVALID)
        let problem = check.problem
        #expect(admit(&check, SY_OUT_JSON, "{}") == SY_E_INVALID)
        #expect(admit(&check, SY_OUT_META_JSON, #"{"usage":{"prompt_tokens":1}}"#) == SY_E_INVALID)
        #expect(check.problem == problem)  // the first reason is the one kept
    }

    @Test(arguments: [
        (#"{"error":{"message":"no","type":"x"}}"#, true), (#"{"type":"error","error":{"type":"overloaded_error"}}"#, true),
        (#"{"error":"no"}"#, false), (#"{"message":"no"}"#, false), ("oops", false), (#"[{"error":{}}]"#, false),
    ])
    func anErrorBodyHasAnErrorObject(_ text: String, _ accepted: Bool) {
        var check = PluginOutputCheck(stream: false)
        #expect((admit(&check, SY_OUT_ERROR_JSON, text) == SY_OK) == accepted, "\(text)")
    }

    @Test(arguments: [
        (#"{"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#, true),
        (#"{"usage":{"prompt_tokens":3,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":null}}"#, true),
        (#"{"usage":{"prompt_tokens":3,"queue_time":0.05,"model":"x"}}"#, true),  // not counts: left alone
        (#"{"retry_after_seconds":30}"#, true),
        ("{}", true),
        (#"{"usage":{"prompt_tokens":-3}}"#, false),
        (#"{"usage":{"prompt_tokens":1.5}}"#, false),
        (#"{"usage":{"prompt_tokens":"3"}}"#, false),
        (#"{"usage":{"prompt_tokens":1e3}}"#, false),
        (#"{"usage":{"prompt_tokens":12345678901234567890}}"#, false),
        (#"{"usage":{"prompt_tokens_details":{"cached_tokens":-1}}}"#, false),
        (#"{"usage":{"prompt_tokens_details":7}}"#, false),
        (#"{"usage":null}"#, false),
        (#"{"usage":"lots"}"#, false),
        (#"{"usag\u0065":{"prompt_tokens":-1}}"#, false),  // an escaped key cannot hide a usage record
        (#"{"retry_after_seconds":-1}"#, false),
        (#"{"usage":{"prompt_tokens":3}"#, false),
        ("usage: 3", false),
    ])
    func aUsageRecordIsWellFormed(_ text: String, _ accepted: Bool) {
        var check = PluginOutputCheck(stream: false)
        #expect((admit(&check, SY_OUT_META_JSON, text) == SY_OK) == accepted, "\(text): \(check.problem ?? "")")
    }

    @Test func opaqueBytesAndUnknownKindsAreNotChecked() {
        var check = PluginOutputCheck(stream: false)
        #expect(admit(&check, SY_OUT_BYTES, [0xFF, 0x00]) == SY_OK)
        #expect(admit(&check, 99, "anything") == SY_OK)
        #expect(check.problem == nil)
    }

    // MARK: through ProviderPlugin, with the faulty C plugin

    final class Collector: PluginSinkTarget {
        var writes: [(UInt32, [UInt8])] = []
        func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
            writes.append((kind, Array(bytes)))
            return SY_OK
        }
    }

    func faulty(_ fault: String) throws -> (ProviderPlugin, PluginInstance) {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("faulty_provider"), entry: "faulty-\(fault)")
        let instance = try library.instantiate(name: "faulty-\(fault)", configJSON: Array(#"{"fault":"\#(fault)"}"#.utf8))
        let provider = try #require(ProviderPlugin(name: "faulty-\(fault)", instance: instance.pluginInstance, table: instance.interface(SY_IFACE_PROVIDER)!))
        return (provider, instance)
    }

    func run(_ provider: ProviderPlugin, stream: Bool) -> (PluginFailure?, Collector) {
        let collector = Collector()
        let call = CallDescription(operation: SY_OP_CHAT_COMPLETIONS, stream: stream, attempt: 0, requestID: "req-1", upstreamModel: "m")
        let failure = [UInt8]("{}".utf8).withUnsafeBytes { provider.generate(call, body: $0, output: collector) }
        return (failure, collector)
    }

    @Test(arguments: [("bad-utf8", false, 0), ("second-whole", false, 1), ("bad-usage", false, 1), ("non-json", true, 1), ("raw-ff", true, 1)])
    func aRefusedWriteFailsTheCallAndNeverReachesTheTarget(_ fault: String, _ stream: Bool, _ delivered: Int) throws {
        let (provider, instance) = try faulty(fault)
        let (failure, collector) = run(provider, stream: stream)
        // The plugin returned SY_OK: the host fails the call anyway, as a retryable 502.
        #expect(failure?.status == SY_E_UPSTREAM && failure?.httpStatus == 502 && failure?.retryable == true)
        #expect(failure?.message.hasPrefix("plugin faulty-\(fault) wrote output the gateway refused: ") == true)
        // Only what came before the refusal went through; nothing after it, nothing invalid.
        #expect(collector.writes.count == delivered)
        for (_, bytes) in collector.writes { #expect(bytes.withUnsafeBytes { JSONValidation.objectError($0) } == nil) }
        _ = instance
    }

    @Test func aKeptSinkIsRefusedInTheNextCallAndFromThePluginsThread() async throws {
        let (provider, instance) = try faulty("keep-sink")
        let (first, firstWrites) = run(provider, stream: false)
        #expect(first == nil && firstWrites.writes.count == 2)
        try await Task.sleep(for: .milliseconds(450))  // the plugin's thread writes at 300 ms
        let (second, secondWrites) = run(provider, stream: false)
        #expect(second == nil)
        let answer = String(decoding: secondWrites.writes.first?.1 ?? [], as: UTF8.self)
        #expect(answer.contains("loop=\(SY_E_HANDLE) thread=\(SY_E_HANDLE)"), "\(answer)")
        #expect(!secondWrites.writes.contains { String(decoding: $0.1, as: UTF8.self).contains("LATE") })
        try await Task.sleep(for: .milliseconds(400))
        instance.shutdown()  // waits for the plugin's last thread
    }
}
