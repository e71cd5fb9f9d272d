import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardPlugins
import SwitchyardUpstream

/// A provider that runs batches inline (its plugin fills `sy_provider_batch_v1`: Anthropic's
/// Message Batches take the requests in the create body). The gateway keeps the input and the
/// result files itself (HeldFiles) and asks the plugin for each piece: the upstream request of
/// an operation, the create body's parts, the batch object and each result line in OpenAI's
/// shapes. Every answer that fails is a GatewayError naming the provider.
///
/// Threading: immutable; any loop.
struct InlineBatchProvider {
    let name: String
    let configured: ConfiguredProvider

    /// The upstream request of `operation` (SY_BATCH_*) on the provider's batch `batchID`.
    func request(_ operation: UInt32, batchID: String = "", body: (any UpstreamBodySource)? = nil, call: CallDescription) throws(GatewayError) -> UpstreamRequest {
        switch configured.plugin.batchRequest(call, op: operation, batchID: batchID) {
        case .none:
            throw GatewayError(status: 501, type: "invalid_request_error", code: "unsupported_by_provider", message: "Provider '\(name)' does not run batches.")
        case .failure(let failure)?:
            throw GatewayError.upstream(status: 502, message: "Provider \(name) could not address its batch API: \(failure.message)")
        case .success(let draft)?:
            let limits = configured.limits
            var request = UpstreamRequest(
                method: draft.method, url: draft.url, headers: draft.headers.map { ($0.name, $0.value) }, body: [],
                connectTimeout: limits.connectTimeout, totalTimeout: limits.totalTimeout,
                firstByteTimeout: limits.firstByteTimeout, idleTimeout: limits.idleTimeout)
            if let body { request.bodySource = body }
            return request
        }
    }

    /// One part of the create body (SY_BATCH_PART_*); an item the plugin refuses names the line.
    func createPart(_ part: UInt32, index: Int, line: some Collection<UInt8>, number: Int, call: CallDescription) throws(GatewayError) -> [UInt8] {
        let result = Array(line).withUnsafeBytes { configured.plugin.batchCreatePart(call, part: part, index: index, line: $0) }
        switch result {
        case .success(let bytes): return bytes
        case .failure(let failure) where part == SY_BATCH_PART_ITEM:
            throw GatewayError.invalidRequest("line \(number): \(failure.message)", code: "invalid_batch_line")
        case .failure(let failure):
            throw GatewayError.upstream(status: 502, message: "Provider \(name) could not frame its batch: \(failure.message)")
        }
    }

    /// The provider's batch object as OpenAI's (ids still the provider's).
    func status(_ upstreamObject: [UInt8], call: CallDescription) throws(GatewayError) -> [UInt8] {
        switch upstreamObject.withUnsafeBytes({ configured.plugin.batchStatus(call, upstreamObject: $0) }) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw GatewayError.upstream(status: 502, message: "Provider \(name) sent a batch the gateway cannot read: \(failure.message)")
        }
    }

    /// One result line as OpenAI's batch output line.
    func result(_ line: some Collection<UInt8>, call: CallDescription) throws(GatewayError) -> [UInt8] {
        switch Array(line).withUnsafeBytes({ configured.plugin.batchResult(call, line: $0) }) {
        case .success(let bytes): return bytes
        case .failure(let failure): throw GatewayError.upstream(status: 502, message: "Provider \(name) sent a batch result the gateway cannot read: \(failure.message)")
        }
    }
}
