/// The `audit:` section (docs/governance.md, "Audit log"): which requests keep their request and
/// response bodies in the store, redacted first by a configured guardrail. Nil on `GatewayConfig`
/// when the section is absent: then nothing is captured.
public struct AuditConfig: Sendable, Equatable {
    /// Caller key ids whose requests are audited; `"*"` = every caller (and open-mode requests).
    public var keys: [String]
    /// Path prefixes audited; `"*"` = every route.
    public var routes: [String]
    /// A `guardrails:` entry (the PII guardrail in redact mode) applied to the bodies first;
    /// nil stores them as sent.
    public var redactWith: String?
    public var retention: Duration
    /// Each body is kept up to this many bytes (`truncated` set past it).
    public var maxBodyBytes: Int

    public static let defaultRetention: Duration = .seconds(30 * 86_400)
    public static let defaultMaxBodyBytes = 1 << 20

    public init(keys: [String] = [], routes: [String] = [], redactWith: String? = nil,
                retention: Duration = AuditConfig.defaultRetention, maxBodyBytes: Int = AuditConfig.defaultMaxBodyBytes) {
        self.keys = keys
        self.routes = routes
        self.redactWith = redactWith
        self.retention = retention
        self.maxBodyBytes = maxBodyBytes
    }

    /// True when a request on `path` from `keyID` (nil: open mode) is audited: it matches the
    /// key list or the route list.
    public func matches(keyID: String?, path: String) -> Bool {
        if keys.contains("*") || (keyID.map { keys.contains($0) } ?? false) { return true }
        return routes.contains { $0 == "*" || path.hasPrefix($0) }
    }
}
