import CSwitchyardPlugin

/// A provider whose batch API takes a batch's requests inline in the create body (Anthropic
/// Message Batches), so that the gateway's native batches (`/v1/batches`) reach it through
/// `sy_provider_batch_v1`. The table's `batch` is set only for types that conform; the manifest
/// lists "batches" in "operations" as well. The host holds the files and drives the exchange;
/// these hooks only say what each piece looks like upstream (no I/O, no state between calls).
/// Called from any thread, concurrently for different calls, like every provider hook.
public protocol InlineBatchProvider: Provider {
    /// The upstream request of `operation` (SY_BATCH_CREATE, _GET, _CANCEL, _RESULTS) on the
    /// provider's batch `batchID` (empty for CREATE): method, URL, credentials, headers. No body:
    /// CREATE's is what `batchCreatePart` writes.
    func batchRequest(_ call: CallInfo, operation: UInt32, batchID: String, into upstream: UpstreamRequestBuilder) throws(PluginError)

    /// One part of CREATE's body as `SY_OUT_BYTES` on `out`: SY_BATCH_PART_OPEN, then
    /// SY_BATCH_PART_ITEM per OpenAI batch input line (`index` from 0; `line` without newline,
    /// its body canonical with the provider's model), then SY_BATCH_PART_CLOSE. Throw to refuse a
    /// line (the batch fails, the host names the line).
    func batchCreatePart(_ call: CallInfo, part: UInt32, index: Int, line: UnsafeRawBufferPointer, out: Sink) throws(PluginError)

    /// The provider's batch object → OpenAI's batch object, one `SY_OUT_JSON` on `out`.
    func batchStatus(_ call: CallInfo, upstreamObject: UnsafeRawBufferPointer, out: Sink) throws(PluginError)

    /// One line of the provider's results → one OpenAI batch output line, one `SY_OUT_JSON`.
    func batchResult(_ call: CallInfo, line: UnsafeRawBufferPointer, out: Sink) throws(PluginError)
}
