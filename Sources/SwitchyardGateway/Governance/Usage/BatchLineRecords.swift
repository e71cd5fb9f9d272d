import SwitchyardCore
import SwitchyardJSON

/// One result line of a batch as its usage record needs it, kept by `BatchUsageTotals` while
/// it sums a batch's output (only when usage recording is on: `lineUsage` is nil otherwise).
struct BatchLineUsage: Sendable, Equatable {
    var customID: String
    /// The upstream model the line's body names ("" when none).
    var model: String
    var status: Int
    var counts: UsageCounts

    /// The usage of one output line (`{"custom_id","response":{"status_code","body":{"model","usage"}}}`).
    init(customID: String, model: String, status: Int, usage: JSONValue?) {
        self.customID = customID
        self.model = model
        self.status = status
        // Chat and embeddings say prompt/completion; the Responses API says input/output.
        counts = UsageCounts(
            prompt: usage?["prompt_tokens"]?.intValue ?? usage?["input_tokens"]?.intValue ?? 0,
            completion: usage?["completion_tokens"]?.intValue ?? usage?["output_tokens"]?.intValue ?? 0,
            cached: usage?["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0,
            reasoning: usage?["completion_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0)
    }
}

extension UsageCounts {
    init(prompt: Int, completion: Int, cached: Int, reasoning: Int) {
        // An upstream's batch file is not trusted: the same bound as a response's usage.
        self.prompt = min(prompt, Self.maximumCount)
        self.completion = min(completion, Self.maximumCount)
        self.cached = min(cached, Self.maximumCount)
        self.reasoning = min(reasoning, Self.maximumCount)
    }
}

/// Turns a batch's lines into usage records (one per result line, `batch_id` the batch,
/// `batch_line` its custom_id, priced with the provider's batch discount), written in the same
/// store job as the batch's `batch_usage` rows so they are recorded once with them.
struct BatchLineRecords: Sendable {
    let costs: CostTable
    let provider: String
    /// native_batch (the provider's own Batch API) or inline_batch (the plugin's batch table).
    let mode: String

    /// `batch`: the batch's record, whose creator the records carry.
    func records(_ lines: [BatchLineUsage], batch: BatchRecord, discount: Double, now: Int64) -> [UsageRecord] {
        lines.map { line in
            var record = UsageRecord(requestID: batch.id, createdAt: now, keyID: batch.keyID, user: batch.user, team: batch.team,
                                     route: EndpointOperation.batches.rawValue, modelRequested: line.model,
                                     modelResolved: line.model, provider: provider, mode: mode, status: line.status, batchID: batch.id,
                                     batchLine: line.customID)
            record.setTokens(line.counts)
            record.cost = costs.cost(upstreamModel: line.model, line.counts, batchDiscount: discount)
            return record
        }
    }
}
