/// What an enricher learned about one call, reported once from `end` as the host's
/// `SY_OUT_META_JSON`. Every member is optional; nil members are left out:
///
///     {"operation":"chat.completions","model":"gpt-4o-mini",
///      "usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,...},
///      "audit_path":"/v1/chat/completions"}
///
/// The host meters, logs and budgets the call with it as it does a translated call's usage.
public struct EnrichmentReport: Equatable, Sendable {
    /// What the call did, e.g. "chat.completions", "embeddings", "messages", "count_tokens".
    public var operation: String?
    /// The model that answered (the response's word when it has one, else the request's).
    public var model: String?
    /// Canonical usage (docs/canonical.md); nil when the enricher could not count it.
    public var usage: TokenUsage?
    /// The canonical route the call amounts to: "/v1/chat/completions", "/v1/messages", ...
    public var auditPath: String?

    public init(operation: String? = nil, model: String? = nil, usage: TokenUsage? = nil, auditPath: String? = nil) {
        self.operation = operation
        self.model = model
        self.usage = usage
        self.auditPath = auditPath
    }

    /// The report as one JSON object, members in the order above.
    public var json: [UInt8] {
        var json = JSONWriter(capacity: 64 + (model?.utf8.count ?? 0) + (auditPath?.utf8.count ?? 0) + (usage == nil ? 0 : 200))
        json.raw("{")
        var first = true
        func member(_ name: StaticString) {
            if !first { json.raw(",") }
            json.raw(name)
            first = false
        }
        if let operation { member(#""operation":"#); json.string(operation) }
        if let model { member(#""model":"#); json.string(model) }
        if let usage { member(#""usage":"#); usage.write(&json) }
        if let auditPath { member(#""audit_path":"#); json.string(auditPath) }
        json.raw("}")
        return json.bytes
    }
}

/// The canonical usage object (docs/canonical.md): `prompt_tokens` counts every input token
/// (cache reads and writes included), `completion_tokens` every output token (reasoning
/// included). Details that are nil are left out, so an enricher writes exactly the members the
/// matching provider plugin writes for the same traffic.
public struct TokenUsage: Equatable, Sendable {
    public var promptTokens: Int
    /// nil for operations without output (embeddings: `{"prompt_tokens","total_tokens"}`).
    public var completionTokens: Int?
    public var totalTokens: Int
    /// `prompt_tokens_details.cached_tokens`: input read from a prompt cache.
    public var cachedTokens: Int?
    /// `prompt_tokens_details.cache_creation_tokens`: input written to a prompt cache.
    public var cacheCreationTokens: Int?
    /// `completion_tokens_details.reasoning_tokens`: output spent on reasoning.
    public var reasoningTokens: Int?

    /// `total` defaults to prompt + completion.
    public init(prompt: Int, completion: Int?, total: Int? = nil, cached: Int? = nil, cacheCreation: Int? = nil, reasoning: Int? = nil) {
        promptTokens = prompt
        completionTokens = completion
        totalTokens = total ?? prompt + (completion ?? 0)
        cachedTokens = cached
        cacheCreationTokens = cacheCreation
        reasoningTokens = reasoning
    }

    /// Writes the object. Counts are clamped at 0: the host refuses a negative one.
    public func write(_ json: inout JSONWriter) {
        json.raw(#"{"prompt_tokens":"#)
        json.number(max(promptTokens, 0))
        if let completionTokens {
            json.raw(#","completion_tokens":"#)
            json.number(max(completionTokens, 0))
        }
        json.raw(#","total_tokens":"#)
        json.number(max(totalTokens, 0))
        if cachedTokens != nil || cacheCreationTokens != nil {
            json.raw(#","prompt_tokens_details":"#)
            var separator: StaticString = "{"
            if let cachedTokens {
                json.raw(separator)
                json.raw(#""cached_tokens":"#)
                json.number(max(cachedTokens, 0))
                separator = ","
            }
            if let cacheCreationTokens {
                json.raw(separator)
                json.raw(#""cache_creation_tokens":"#)
                json.number(max(cacheCreationTokens, 0))
            }
            json.raw("}")
        }
        if let reasoningTokens {
            json.raw(#","completion_tokens_details":{"reasoning_tokens":"#)
            json.number(max(reasoningTokens, 0))
            json.raw("}")
        }
        json.raw("}")
    }
}
