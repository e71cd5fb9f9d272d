import CSwitchyardPlugin
import Testing
@testable import SwitchyardPlugins

/// The host's side of `sy_provider_v1.batch` (ProviderBatches.swift), through a C fixture built
/// as a real .so (Fixtures/batch_provider.c): how the table is read, what each hook is lent, and
/// the output checks that keep a misbehaving plugin's bytes out of a batch.
@Suite struct ProviderBatchesTests {
    static func provider(_ name: String, defines: [String] = []) throws -> (ProviderPlugin?, PluginInstance) {
        let library = try PluginLibrary.load(path: try Fixtures.plugin("batch_provider", defines: defines), entry: name)
        let instance = try library.instantiate(name: name, configJSON: Array("{}".utf8))
        let table = try #require(instance.interface(SY_IFACE_PROVIDER))
        return (ProviderPlugin(name: name, instance: instance.pluginInstance, table: table), instance)
    }

    static var call: CallDescription { CallDescription(operation: 0, stream: false, attempt: 0, requestID: "req-b", upstreamModel: "") }

    private func bytes(_ text: String, _ body: (UnsafeRawBufferPointer) -> Result<[UInt8], PluginFailure>) -> Result<String, PluginFailure> {
        Array(text.utf8).withUnsafeBytes(body).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func requestCarriesTheOperationAndIDAndComesBackWithoutABody() throws {
        let (plugin, instance) = try Self.provider("b-request")
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        #expect(provider.takesInlineBatches)
        let request = try #require(provider.batchRequest(Self.call, op: SY_BATCH_CANCEL, batchID: "msgbatch_1")).get()
        #expect(request.method == "GET" && request.url == "http://127.0.0.1:9/b/3/msgbatch_1" && request.body.isEmpty)
        #expect(request.headers.map(\.name) == ["X-Seen"] && request.headers.first?.value == "op=3 id=10")
        #expect(PluginHandles.liveOnThisThread == 0)
    }

    @Test(arguments: [("body", "put a body on batch operation 2"), ("relative", "url \"/x\" is not an absolute http(s) URL"),
                        ("nourl", "built no absolute http(s) URL for batch operation 2 (got \"\")"), ("fail", "no such batch")])
    func aRequestWithABodyOrNoAbsoluteURLOrAFailureIsRefused(_ id: String, _ why: String) throws {
        let (plugin, instance) = try Self.provider("b-request-bad")
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        let result = try #require(provider.batchRequest(Self.call, op: SY_BATCH_GET, batchID: id))
        guard case .failure(let failure) = result else { Issue.record("\(id) accepted"); return }
        #expect(failure.message.contains(why), "\(failure.message)")
    }

    @Test func createPartsCollectEveryBytesWriteInOrder() throws {
        let (plugin, instance) = try Self.provider("b-parts")
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        let item = bytes(#"{"custom_id":"a"}"#) { provider.batchCreatePart(Self.call, part: SY_BATCH_PART_ITEM, index: 4, line: $0) }
        #expect(try item.get() == #"2:4:{"custom_id":"a"}"#)
        #expect(try bytes("") { provider.batchCreatePart(Self.call, part: SY_BATCH_PART_OPEN, index: 0, line: $0) }.get() == "1:0:")
    }

    @Test func aCreatePartWritingJSONIsRefusedAndARefusedLineKeepsItsMessage() throws {
        let (plugin, instance) = try Self.provider("b-parts-bad")
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        guard case .failure(let json) = bytes("json", { provider.batchCreatePart(Self.call, part: SY_BATCH_PART_ITEM, index: 0, line: $0) }) else {
            Issue.record("JSON accepted as a part"); return
        }
        #expect(json.message.contains("SY_OUT_BYTES") && json.message.contains("b-parts-bad"))
        guard case .failure(let refused) = bytes("fail", { provider.batchCreatePart(Self.call, part: SY_BATCH_PART_ITEM, index: 0, line: $0) }) else {
            Issue.record("refusal lost"); return
        }
        #expect(refused.status == SY_E_UNSUPPORTED && refused.message == "line refused")
    }

    @Test func statusAndResultTakeExactlyOneJSONObject() throws {
        let (plugin, instance) = try Self.provider("b-json")
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        #expect(try bytes("abc") { provider.batchStatus(Self.call, upstreamObject: $0) }.get() == #"{"hook":"status","length":3}"#)
        #expect(try bytes("abcd") { provider.batchResult(Self.call, line: $0) }.get() == #"{"hook":"result","length":4}"#)
    }

    @Test(arguments: [
        ("two", "a second SY_OUT_JSON"), ("none", "wrote no SY_OUT_JSON"), ("bytes", "one SY_OUT_JSON (got kind 4)"),
        ("meta", "one SY_OUT_JSON (got kind 3)"), ("bad", "is not a JSON object"), ("fail", "not a batch"),
    ])
    func anythingButOneJSONObjectFailsStatusAndResult(_ input: String, _ why: String) throws {
        let (plugin, instance) = try Self.provider("b-json-bad")
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        for result in [bytes(input) { provider.batchStatus(Self.call, upstreamObject: $0) }, bytes(input) { provider.batchResult(Self.call, line: $0) }] {
            guard case .failure(let failure) = result else { Issue.record("\(input) accepted"); continue }
            #expect(failure.message.contains(why), "\(failure.message)")
        }
    }

    @Test func anUnknownOutputKindIsIgnoredByEveryBatchSink() throws {
        let (parts, partsInstance) = try Self.provider("b-parts-newkind")
        let (json, jsonInstance) = try Self.provider("b-json-newkind")
        defer { withExtendedLifetime((partsInstance, jsonInstance)) {} }
        let partsProvider = try #require(parts)
        let jsonProvider = try #require(json)
        #expect(try bytes("newkind") { partsProvider.batchCreatePart(Self.call, part: SY_BATCH_PART_ITEM, index: 1, line: $0) }.get() == "2:1:newkind")
        #expect(try bytes("newkind") { jsonProvider.batchStatus(Self.call, upstreamObject: $0) }.get() == #"{"hook":"status","length":7}"#)
        #expect(try bytes("newkind") { jsonProvider.batchResult(Self.call, line: $0) }.get() == #"{"hook":"result","length":7}"#)
    }

    @Test func aBatchTableWithoutAHookMakesTheProviderUnusable() throws {
        let (plugin, instance) = try Self.provider("b-half", defines: ["FIXTURE_HALF_BATCH"])
        defer { withExtendedLifetime(instance) {} }
        #expect(plugin == nil)
    }

    @Test func aTableFromBeforeTheFieldHasNoInlineBatches() throws {
        let (plugin, instance) = try Self.provider("b-short", defines: ["FIXTURE_SHORT_TABLE"])
        defer { withExtendedLifetime(instance) {} }
        let provider = try #require(plugin)
        #expect(!provider.takesInlineBatches)
        #expect(provider.batchRequest(Self.call, op: SY_BATCH_GET, batchID: "x") == nil)
        guard case .failure(let failure) = bytes("x", { provider.batchResult(Self.call, line: $0) }) else { Issue.record("no table, yet a result"); return }
        #expect(failure.status == SY_E_UNSUPPORTED)
    }
}
