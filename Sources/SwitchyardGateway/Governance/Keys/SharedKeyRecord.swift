import SwitchyardCore
import SwitchyardJSON

/// A virtual key as replicas share it in Redis (`sy:keys`, one field per key id): the whole
/// record, its secret's hash included (never the secret), as compact JSON. Budget limits are
/// micros; times Unix seconds. docs/governance.md#redis-replicas.
enum SharedKeyRecord {
    static func encode(_ key: VirtualKey) -> [UInt8] {
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        func integer(_ value: Int64?) -> JSONValue { value.map { .number(String($0)) } ?? .null }
        func list(_ value: [String]?) -> JSONValue { value.map { .array($0.map { .string($0) }) } ?? .null }
        return JSONValue.object(JSONObject([
            ("id", .string(key.id)), ("hash", .string(key.hash)), ("prefix", .string(key.prefix)),
            ("name", text(key.name)), ("user", text(key.user)), ("team", text(key.team)),
            ("models", list(key.models)), ("routes", list(key.routes)), ("metadata", key.metadata.map { .object($0) } ?? .null),
            ("budget_limit", integer(key.budget?.limit)), ("budget_period", text(key.budget?.period.rawValue)),
            ("rpm", integer(key.limits?.requestsPerMinute.map(Int64.init))), ("tpm", integer(key.limits?.tokensPerMinute.map(Int64.init))),
            ("concurrency", integer(key.limits?.concurrency.map(Int64.init))),
            ("expires_at", integer(key.expiresAt)), ("disabled", .bool(key.disabled)),
            ("created_at", integer(key.createdAt)), ("updated_at", integer(key.updatedAt)), ("rotated_at", integer(key.rotatedAt)),
        ])).serialized()
    }

    /// Nil for a record this version cannot read (skipped, never a crash: another replica may
    /// run a newer gateway).
    static func decode(_ bytes: [UInt8]) -> VirtualKey? {
        guard let record = try? JSONValue.parse(bytes), let id = record["id"]?.stringValue, let hash = record["hash"]?.stringValue,
              let prefix = record["prefix"]?.stringValue, let createdAt = record["created_at"]?.intValue,
              let updatedAt = record["updated_at"]?.intValue else { return nil }
        func text(_ name: String) -> String? { record[name]?.stringValue }
        func integer(_ name: String) -> Int? { record[name]?.intValue }
        func list(_ name: String) -> [String]? { record[name]?.arrayValue?.compactMap(\.stringValue) }
        var budget: SpendLimit?
        if let limit = integer("budget_limit"), let period = text("budget_period").flatMap(BudgetPeriod.init(rawValue:)) {
            budget = SpendLimit(limit: Micros(limit), period: period)
        }
        let limits = RateLimitSettings(requestsPerMinute: integer("rpm"), tokensPerMinute: integer("tpm"), concurrency: integer("concurrency"))
        return VirtualKey(
            id: id, hash: hash, prefix: prefix, name: text("name"), user: text("user"), team: text("team"),
            models: list("models"), routes: list("routes"), metadata: record["metadata"]?.objectValue, budget: budget,
            limits: limits.isEmpty ? nil : limits, expiresAt: integer("expires_at").map(Int64.init),
            disabled: record["disabled"]?.boolValue ?? false, createdAt: Int64(createdAt), updatedAt: Int64(updatedAt),
            rotatedAt: integer("rotated_at").map(Int64.init))
    }
}
