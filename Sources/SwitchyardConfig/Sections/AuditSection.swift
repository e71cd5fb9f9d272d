import SwitchyardCore

/// Decodes `audit:`: `keys` and `routes` (lists; at least one entry between them), `redact_with`
/// (checked against the guardrails by `checkRedactor`), `retention`, `max_body_bytes`.
enum AuditSection {
    static let keys = ["keys", "routes", "redact_with", "retention", "max_body_bytes"]

    struct Draft {
        var config: AuditConfig
        /// Where `redact_with` was written, for the cross-section check.
        var redactValue: ConfigValue?
    }

    static func decode(_ value: ConfigValue?) throws(ConfigError) -> Draft? {
        guard let value else { return nil }
        let fields = try value.mapping(allowedKeys: keys)
        var draft = Draft(config: AuditConfig())
        if let keys = fields["keys"] {
            for item in try keys.sequence() { draft.config.keys.append(try item.token("an audited key id")) }
        }
        if let routes = fields["routes"] {
            for item in try routes.sequence() {
                let route = try item.token("an audited route")
                guard route == "*" || route.hasPrefix("/") else { throw item.error("must be a path prefix starting with \"/\" or \"*\", got \"\(route)\"") }
                draft.config.routes.append(route)
            }
        }
        guard !draft.config.keys.isEmpty || !draft.config.routes.isEmpty else {
            throw value.error("audit needs keys or routes (\"*\" for all); without either nothing would be audited")
        }
        if let redact = fields["redact_with"] {
            draft.config.redactWith = try redact.token("redact_with")
            draft.redactValue = redact
        }
        if let retention = fields["retention"] { draft.config.retention = try retention.retention() }
        if let size = fields["max_body_bytes"] { draft.config.maxBodyBytes = try size.byteSize() }
        return draft
    }

    /// `redact_with` must name an enabled guardrail: a name that matches none would store bodies
    /// unredacted, the opposite of what was asked.
    static func checkRedactor(_ draft: Draft?, guardrails: [GuardrailEntry]) throws(ConfigError) {
        guard let draft, let name = draft.config.redactWith, let value = draft.redactValue else { return }
        guard !guardrails.contains(where: { $0.name == name }) else { return }
        var message = "redact_with names no enabled guardrail \"\(name)\""
        if let guess = Suggestion.closest(to: name, in: guardrails.map(\.name)) { message += " (did you mean \"\(guess)\"?)" }
        throw value.error(message)
    }
}
