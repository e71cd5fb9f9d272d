import SwitchyardPluginSDK

/// Native batches through Anthropic's Message Batches API (`sy_provider_batch_v1`): the gateway
/// keeps the client's OpenAI batch files and drives the exchange; this says what each piece looks
/// like at Anthropic. Stateless, like the rest of the provider: any thread, any number of calls.
extension AnthropicProvider: InlineBatchProvider {
    /// `POST /v1/messages/batches`, `GET …/{id}`, `POST …/{id}/cancel`, `GET …/{id}/results` (the
    /// results path is fixed by the API; the batch's `results_url` is not needed), with the
    /// headers of every Messages request (x-api-key, anthropic-version, betas, extra headers).
    func batchRequest(_ call: CallInfo, operation: UInt32, batchID: String, into upstream: UpstreamRequestBuilder) throws(PluginError) {
        let batch: String
        if operation == SY_BATCH_CREATE {
            batch = config.batchesURL
        } else {
            guard MessageBatchRequests.isBatchID(batchID) else {
                throw .invalid("\"\(batchID)\" is not an Anthropic message batch id")
            }
            batch = config.batchesURL + "/" + batchID
        }
        switch operation {
        case SY_BATCH_CREATE:
            upstream.setMethod("POST")
            upstream.setURL(batch)
            upstream.addHeader("content-type", "application/json")
        case SY_BATCH_GET:
            upstream.setMethod("GET")
            upstream.setURL(batch)
        case SY_BATCH_CANCEL:
            upstream.setMethod("POST")
            upstream.setURL(batch + "/cancel")
        case SY_BATCH_RESULTS:
            upstream.setMethod("GET")
            upstream.setURL(batch + "/results")
        default:
            throw .unsupported("unknown batch operation \(operation)")
        }
        upstream.addHeader("accept", "application/json")
        for header in config.headers { upstream.addHeader(header.name, header.value) }
    }

    /// `{"requests":[` · `{"custom_id":…,"params":<Messages body>}` with a `,` before all but the
    /// first · `]}`.
    func batchCreatePart(_ call: CallInfo, part: UInt32, index: Int, line: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let bytes: [UInt8]
        switch part {
        case SY_BATCH_PART_OPEN: bytes = Array(#"{"requests":["#.utf8)
        case SY_BATCH_PART_CLOSE: bytes = Array("]}".utf8)
        case SY_BATCH_PART_ITEM:
            let request = try MessageBatchRequests.request(line, defaultMaxTokens: config.defaultMaxTokens)
            bytes = index > 0 ? [UInt8(ascii: ",")] + request : request
        default: throw .unsupported("unknown batch body part \(part)")
        }
        guard out.bytes(bytes) else { throw PluginError(SY_E_CANCELLED, "the gateway took no more of the batch body") }
    }

    func batchStatus(_ call: CallInfo, upstreamObject: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let object = try MessageBatchStatus.openAIBatch(upstreamObject)
        guard out.json(object) else { throw PluginError(SY_E_INVALID, "the gateway refused the batch object") }
    }

    func batchResult(_ call: CallInfo, line: UnsafeRawBufferPointer, out: Sink) throws(PluginError) {
        let created = Int(host.unixNanoseconds() / 1_000_000_000)
        let output = try MessageBatchResults.openAILine(line, created: created)
        guard out.json(output) else { throw PluginError(SY_E_INVALID, "the gateway refused the batch output line") }
    }
}
