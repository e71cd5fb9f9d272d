import SwitchyardCore
import SwitchyardJSON

/// The JSON of `GET /admin/usage` and `/admin/usage/records` (docs/governance.md).
enum UsageReport {
    /// `1234` micros → `0.001234` (a JSON number, exact: no floating point on the way).
    static func decimal(_ micros: Micros) -> JSONValue {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let fraction = String(magnitude % 1_000_000)
        return .number(sign + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction)
    }

    static func aggregates(_ rows: [UsageAggregate], query: UsageQuery, currency: String) -> JSONValue {
        let truncated = rows.count > UsageQuery.maxRows
        let data: [JSONValue] = rows.prefix(UsageQuery.maxRows).map { row in
            var fields: [(key: String, value: JSONValue)] = zip(query.groupBy, row.groups).map { ($0.rawValue, $1.map(JSONValue.string) ?? .null) }
            fields += [
                ("requests", number(row.requests)), ("errors", number(row.errors)),
                ("prompt_tokens", number(row.promptTokens)), ("completion_tokens", number(row.completionTokens)),
                ("cached_tokens", number(row.cachedTokens)), ("cache_creation_tokens", number(row.cacheCreationTokens)),
                ("reasoning_tokens", number(row.reasoningTokens)), ("total_tokens", number(row.promptTokens + row.completionTokens)),
                ("cost", decimal(row.cost)), ("cost_micros", number(row.cost)), ("currency", .string(currency)),
            ]
            return .object(JSONObject(fields))
        }
        return .object(JSONObject([
            ("object", "list"), ("group_by", .array(query.groupBy.map { .string($0.rawValue) })),
            ("currency", .string(currency)), ("truncated", .bool(truncated)), ("data", .array(data)),
        ]))
    }

    static func records(_ records: [UsageRecord], currency: String) -> JSONValue {
        let data: [JSONValue] = records.map { record in
            .object(JSONObject([
                ("request_id", .string(record.requestID)), ("created_at", number(record.createdAt / 1000)),
                ("created_at_ms", number(record.createdAt)),
                ("key_id", optional(record.keyID)), ("user", optional(record.user)), ("team", optional(record.team)),
                ("route", .string(record.route)), ("model_requested", .string(record.modelRequested)),
                ("model_resolved", .string(record.modelResolved)), ("provider", .string(record.provider)), ("mode", .string(record.mode)),
                ("prompt_tokens", number(record.promptTokens)), ("completion_tokens", number(record.completionTokens)),
                ("cached_tokens", number(record.cachedTokens)), ("cache_creation_tokens", number(record.cacheCreationTokens)),
                ("reasoning_tokens", number(record.reasoningTokens)),
                ("cost", decimal(record.cost)), ("cost_micros", number(record.cost)), ("currency", .string(currency)),
                ("latency_ms", number(record.latencyMilliseconds)), ("status", number(record.status)),
                ("batch_id", optional(record.batchID)), ("batch_line", optional(record.batchLine)),
            ]))
        }
        return .object(JSONObject([("object", "list"), ("data", .array(data))]))
    }

    static func number(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }
    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
}
