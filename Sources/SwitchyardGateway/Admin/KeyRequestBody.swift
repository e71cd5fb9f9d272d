import SwitchyardCore
import SwitchyardJSON

/// A `POST /admin/keys` or `PATCH /admin/keys/{id}` body applied to a key record: every field
/// optional, `null` clears it (PATCH), an unknown field or a bad value is a 400 naming it.
/// Pure; runs on the admin request's loop.
enum KeyRequestBody {
    static let fields = ["name", "user", "team", "models", "routes", "metadata", "expires_at", "expires_in", "budget", "limits", "disabled"]

    /// The fields of `body` applied to `key`; `now` is Unix seconds. `disabled` only when `patch`.
    static func apply(_ body: [UInt8], to key: inout VirtualKey, now: Int64, patch: Bool) throws(GatewayError) {
        let object: JSONObject
        do {
            guard let parsed = try JSONValue.parse(body.isEmpty ? Array("{}".utf8) : body).objectValue else {
                throw invalid("The body must be a JSON object.", param: nil)
            }
            object = parsed
        } catch let error as GatewayError {
            throw error
        } catch {
            throw invalid("The body is not valid JSON: \(error).", param: nil)
        }
        let allowed = patch ? fields : fields.filter { $0 != "disabled" }
        for (name, _) in object where !allowed.contains(name) {
            throw invalid("Unknown field '\(name)' (known: \(allowed.joined(separator: ", "))).", param: name)
        }
        if object["expires_at"] != nil, object["expires_in"] != nil {
            throw invalid("Give expires_at or expires_in, not both.", param: "expires_in")
        }
        for (name, value) in object {
            switch name {
            case "name": key.name = try text(value, name)
            case "user": key.user = try text(value, name)
            case "team": key.team = try text(value, name)
            case "models": key.models = try list(value, name) { $0 }
            case "routes": key.routes = try list(value, name) { item throws(GatewayError) in
                guard item.hasPrefix("/") else { throw invalid("Each entry of routes must be a path prefix starting with '/', got '\(item)'.", param: name) }
                return item
            }
            case "metadata":
                if value.isNull { key.metadata = nil; continue }
                guard let metadata = value.objectValue else { throw invalid("metadata must be a JSON object.", param: name) }
                guard metadata.count <= 64, JSONValue.object(metadata).serialized().count <= 16 << 10 else {
                    throw invalid("metadata must have at most 64 fields and 16 KiB.", param: name)
                }
                key.metadata = metadata
            case "expires_at":
                if value.isNull { key.expiresAt = nil; continue }
                guard case .number(let digits) = value, let seconds = Int64(digits), seconds > now else {
                    throw invalid("expires_at must be a Unix time in seconds, in the future.", param: name)
                }
                key.expiresAt = seconds
            case "expires_in":
                if value.isNull { key.expiresAt = nil; continue }
                guard let text = value.stringValue, let seconds = duration(text) else {
                    throw invalid("expires_in must be a duration such as \"3600s\", \"90m\", \"12h\" or \"30d\" (at least 1s).", param: name)
                }
                key.expiresAt = now + seconds
            case "budget": key.budget = try budget(value)
            case "limits": key.limits = try limits(value)
            case "disabled":
                guard let flag = value.boolValue else { throw invalid("disabled must be true or false.", param: name) }
                key.disabled = flag
            default: break
            }
        }
    }

    private static func text(_ value: JSONValue, _ name: String) throws(GatewayError) -> String? {
        if value.isNull { return nil }
        guard let text = value.stringValue, !text.isEmpty, text.utf8.count <= 256 else {
            throw invalid("\(name) must be a non-empty string of at most 256 bytes.", param: name)
        }
        return text
    }

    private static func list(_ value: JSONValue, _ name: String, _ check: (String) throws(GatewayError) -> String) throws(GatewayError) -> [String]? {
        if value.isNull { return nil }
        guard let items = value.arrayValue, !items.isEmpty, items.count <= 1000 else {
            throw invalid("\(name) must be a non-empty list of strings (null for all).", param: name)
        }
        var result: [String] = []
        for item in items {
            guard let text = item.stringValue, !text.isEmpty, text.utf8.count <= 256 else {
                throw invalid("Each entry of \(name) must be a non-empty string.", param: name)
            }
            result.append(try check(text))
        }
        return result
    }

    private static func budget(_ value: JSONValue) throws(GatewayError) -> SpendLimit? {
        if value.isNull { return nil }
        guard let object = value.objectValue else { throw invalid("budget must be an object {limit, period}.", param: "budget") }
        for (name, _) in object where name != "limit" && name != "period" {
            throw invalid("Unknown field 'budget.\(name)' (known: limit, period).", param: "budget")
        }
        guard case .number(let text)? = object["limit"], let limit = MicrosText.parse(text) else {
            throw invalid("budget.limit must be a non-negative amount in the pricing currency with at most 6 decimals, e.g. 10.50.", param: "budget")
        }
        guard let periodText = object["period"]?.stringValue, let period = BudgetPeriod(rawValue: periodText) else {
            throw invalid("budget.period must be daily, monthly or total.", param: "budget")
        }
        return SpendLimit(limit: limit, period: period)
    }

    private static func limits(_ value: JSONValue) throws(GatewayError) -> RateLimitSettings? {
        if value.isNull { return nil }
        guard let object = value.objectValue else { throw invalid("limits must be an object {rpm, tpm, concurrency}.", param: "limits") }
        var limits = RateLimitSettings()
        for (name, item) in object {
            guard ["rpm", "tpm", "concurrency"].contains(name) else {
                throw invalid("Unknown field 'limits.\(name)' (known: rpm, tpm, concurrency).", param: "limits")
            }
            if item.isNull { continue }
            guard case .number(let digits) = item, let number = Int(digits), number >= 1, number <= 1_000_000_000 else {
                throw invalid("limits.\(name) must be a whole number from 1 to 1000000000 (null for none).", param: "limits")
            }
            switch name {
            case "rpm": limits.requestsPerMinute = number
            case "tpm": limits.tokensPerMinute = number
            default: limits.concurrency = number
            }
        }
        return limits.isEmpty ? nil : limits
    }

    /// "30d", "12h", "90m", "3600s" → seconds (at least 1, at most 100 years).
    static func duration(_ text: String) -> Int64? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 1, count <= 36_500 * 86_400 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = count
        case "m": seconds = count * 60
        case "h": seconds = count * 3600
        case "d": seconds = count * 86_400
        default: return nil
        }
        return seconds <= 36_500 * 86_400 ? seconds : nil
    }

    static func invalid(_ message: String, param: String?) -> GatewayError {
        GatewayError(status: 400, type: "invalid_request_error", code: "invalid_key_request", param: param, message: message)
    }
}
