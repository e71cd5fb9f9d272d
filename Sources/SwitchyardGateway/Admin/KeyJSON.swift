import SwitchyardJSON

/// A key record as the admin API shows it: never the secret (only `key` on the answer that
/// creates or rotates it) and never its hash.
enum KeyJSON {
    /// The record's members after an opening `{`, without the closing `}`: a handler may append
    /// members of its own (`,"spend":…` on `GET /admin/keys/{id}`) before closing the object.
    static func members(_ key: VirtualKey, secret: String? = nil, into json: inout JSONWriter) {
        json.raw(#""id":"#); json.string(key.id)
        json.raw(#","object":"virtual_key","prefix":"#); json.string(key.prefix)
        if let secret { json.raw(#","key":"#); json.string(secret) }
        json.raw(#","name":"#); json.value(key.name.map { .string($0) } ?? .null)
        json.raw(#","user":"#); json.value(key.user.map { .string($0) } ?? .null)
        json.raw(#","team":"#); json.value(key.team.map { .string($0) } ?? .null)
        json.raw(#","models":"#); json.value(key.models.map { .array($0.map { .string($0) }) } ?? .null)
        json.raw(#","routes":"#); json.value(key.routes.map { .array($0.map { .string($0) }) } ?? .null)
        json.raw(#","metadata":"#); json.value(key.metadata.map { .object($0) } ?? .null)
        json.raw(#","budget":"#)
        if let budget = key.budget {
            json.raw(#"{"limit":"#); json.value(.number(MicrosText.render(budget.limit)))
            json.raw(#","period":"#); json.string(budget.period.rawValue); json.raw("}")
        } else { json.raw("null") }
        json.raw(#","limits":"#)
        if let limits = key.limits {
            json.raw(#"{"rpm":"#); json.value(limits.requestsPerMinute.map { .number($0) } ?? .null)
            json.raw(#","tpm":"#); json.value(limits.tokensPerMinute.map { .number($0) } ?? .null)
            json.raw(#","concurrency":"#); json.value(limits.concurrency.map { .number($0) } ?? .null)
            json.raw("}")
        } else { json.raw("null") }
        json.raw(#","expires_at":"#); json.value(key.expiresAt.map { .number(String($0)) } ?? .null)
        json.raw(#","disabled":"#); json.bool(key.disabled)
        json.raw(#","created_at":"#); json.value(.number(String(key.createdAt)))
        json.raw(#","updated_at":"#); json.value(.number(String(key.updatedAt)))
        json.raw(#","rotated_at":"#); json.value(key.rotatedAt.map { .number(String($0)) } ?? .null)
    }

    static func object(_ key: VirtualKey, secret: String? = nil) -> [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.raw("{")
        members(key, secret: secret, into: &json)
        json.raw("}")
        return json.bytes
    }
}
