import SwitchyardPluginSDK

/// Forces a chat request's output limit down to `limit`: each of `max_tokens` and
/// `max_completion_tokens` that the request sets above the limit is replaced by it, and a request
/// that sets neither (or only nulls) gets `max_tokens` added. A request already within the limit
/// gives no operations. `max_completion_tokens` is never added: models that take only that field
/// (OpenAI's reasoning models) get it from their provider's translation of `max_tokens`.
enum OutputTokenCap {
    /// RFC 6902 operations, or nil when nothing changes.
    static func operations(for body: JSONValue, limit: Int) -> [UInt8]? {
        let fields = ["max_tokens", "max_completion_tokens"]
        var operations: [JSONValue] = []
        var asked = false
        for field in fields {
            guard let value = body[field], !value.isNull else { continue }
            asked = true
            // A value that is not a number is the provider's to refuse; a fraction counts as asked-for.
            if let requested = value.doubleValue, requested > Double(limit) {
                operations.append(["op": "replace", "path": .string("/" + field), "value": .number(limit)])
            }
        }
        if !asked {
            let op: JSONValue = body["max_tokens"] == nil ? "add" : "replace"
            operations.append(["op": op, "path": "/max_tokens", "value": .number(limit)])
        }
        return operations.isEmpty ? nil : JSONValue.array(operations).serialized()
    }
}
