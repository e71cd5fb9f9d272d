import SwitchyardJSON

/// A batch's usage, summed per model from its output file's lines (OpenAI's batch output: one
/// `{"custom_id","response":{"status_code","body":{...,"usage"}},"error"}` per request).
struct BatchUsageTotals {
    struct Model: Equatable {
        var lines = 0
        var failedLines = 0
        var promptTokens = 0
        var completionTokens = 0
        var cachedTokens = 0
        var reasoningTokens = 0
    }

    private(set) var models: [String: Model] = [:]
    /// Lines that are not an output record at all (counted, not guessed at).
    private(set) var unreadable = 0
    /// Each line's usage, for the usage records; nil (not kept) unless usage recording is on.
    var lineUsage: [BatchLineUsage]?

    mutating func add(line: ArraySlice<UInt8>) {
        guard let record = line.withUnsafeBytes({ try? JSONValue.parse($0) }), let response = record["response"] else {
            unreadable += 1
            return
        }
        let body = response["body"]
        let model = body?["model"]?.stringValue ?? ""
        var totals = models[model] ?? Model()
        totals.lines += 1
        let status = response["status_code"]?.intValue ?? 200
        if status >= 400 || (record["error"].map { !$0.isNull } ?? false) { totals.failedLines += 1 }
        if let usage = body?["usage"] {
            // Chat and embeddings say prompt/completion; the Responses API says input/output.
            totals.promptTokens += usage["prompt_tokens"]?.intValue ?? usage["input_tokens"]?.intValue ?? 0
            totals.completionTokens += usage["completion_tokens"]?.intValue ?? usage["output_tokens"]?.intValue ?? 0
            totals.cachedTokens += usage["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? 0
            totals.reasoningTokens += usage["completion_tokens_details"]?["reasoning_tokens"]?.intValue ?? 0
        }
        models[model] = totals
        if lineUsage != nil {
            lineUsage!.append(BatchLineUsage(customID: record["custom_id"]?.stringValue ?? "", model: model, status: status, usage: body?["usage"]))
        }
    }

    /// Failed requests the provider wrote to the error file (not in the output file), counted
    /// against the model "" when the line does not say which.
    mutating func addFailed(_ count: Int) {
        guard count > 0 else { return }
        var totals = models[""] ?? Model()
        totals.lines += count
        totals.failedLines += count
        models[""] = totals
    }

    var sum: Model {
        models.values.reduce(into: Model()) { total, model in
            total.lines += model.lines
            total.failedLines += model.failedLines
            total.promptTokens += model.promptTokens
            total.completionTokens += model.completionTokens
            total.cachedTokens += model.cachedTokens
            total.reasoningTokens += model.reasoningTokens
        }
    }
}
