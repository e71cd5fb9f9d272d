import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Drives the inline batch table (`sy_provider_batch_v1`) of a built provider through the host's
/// wrappers, as the gateway's batch orchestration calls them.
extension ProviderHarness {
    /// The call a batch hook gets: the client's batch request, no canonical body.
    static var batchCall: CallDescription { CallDescription(operation: 0, stream: false, attempt: 0, requestID: "req-batch", upstreamModel: "") }

    func batchRequest(_ op: UInt32, _ batchID: String = "") throws -> UpstreamRequestBuilder {
        try #require(provider.batchRequest(Self.batchCall, op: op, batchID: batchID)).get()
    }

    /// One part of CREATE's body as text, or the plugin's refusal.
    func createPart(_ part: UInt32, index: Int = 0, _ line: String = "") -> Result<String, PluginFailure> {
        Array(line.utf8).withUnsafeBytes { provider.batchCreatePart(Self.batchCall, part: part, index: index, line: $0) }
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// The whole CREATE body for `lines` (OpenAI batch input lines), as the host concatenates it.
    func createBody(_ lines: [String]) throws -> [UInt8] {
        var body = Array(try createPart(SY_BATCH_PART_OPEN).get().utf8)
        for (index, line) in lines.enumerated() { body += Array(try createPart(SY_BATCH_PART_ITEM, index: index, line).get().utf8) }
        body += Array(try createPart(SY_BATCH_PART_CLOSE, index: lines.count).get().utf8)
        return body
    }

    /// The refusal of one ITEM, which must fail.
    func refusedItem(_ line: String) -> PluginFailure? {
        if case .failure(let failure) = createPart(SY_BATCH_PART_ITEM, line) { return failure }
        return nil
    }

    func batchStatus(_ upstream: String) -> Result<JSONValue, PluginFailure> {
        Array(upstream.utf8).withUnsafeBytes { provider.batchStatus(Self.batchCall, upstreamObject: $0) }
            .flatMap { bytes in (try? JSONValue.parse(bytes)).map { .success($0) } ?? .failure(PluginFailure(status: SY_E_INTERNAL, message: "not JSON")) }
    }

    func batchResult(_ line: String) -> Result<JSONValue, PluginFailure> {
        Array(line.utf8).withUnsafeBytes { provider.batchResult(Self.batchCall, line: $0) }
            .flatMap { bytes in (try? JSONValue.parse(bytes)).map { .success($0) } ?? .failure(PluginFailure(status: SY_E_INTERNAL, message: "not JSON")) }
    }
}

/// An OpenAI batch input line for the chat completions endpoint.
func batchInputLine(_ customID: String, _ body: JSONValue, url: String = "/v1/chat/completions") -> String {
    JSONValue.object(JSONObject([("custom_id", .string(customID)), ("method", "POST"), ("url", .string(url)), ("body", body)])).jsonText
}
