import Testing

@testable import SwitchyardConfig

@Suite("usage and audit sections")
struct UsageAuditSectionTests {
    static let pii = """
        plugins:
          - {name: pii, path: /opt/libGuardrailPII.so}
        guardrails:
          - {name: pii, plugin: pii}

        """

    @Test("absent: usage off with 90 days of retention, no audit")
    func absent() throws {
        let config = try parse("")
        #expect(config.usage == UsageConfig(record: false, retention: .seconds(90 * 86_400)))
        #expect(config.audit == nil)
    }

    @Test("usage: record and retention in days or a duration")
    func usage() throws {
        #expect(try parse("usage:\n  record: true\n  retention: 7d\n").usage == UsageConfig(record: true, retention: .seconds(7 * 86_400)))
        #expect(try parse("usage:\n  retention: 12h\n").usage.retention == .seconds(12 * 3600))
        #expect(try parse("usage:\n  retention: 3650d\n").usage.retention == .seconds(3650 * 86_400))
    }

    @Test("audit: every key, with defaults")
    func audit() throws {
        let audit = try #require(try parse(Self.pii + "audit:\n  keys: [key_abc]\n  routes: [\"/v1/chat/completions\"]\n  redact_with: pii\n").audit)
        #expect(audit.keys == ["key_abc"] && audit.routes == ["/v1/chat/completions"] && audit.redactWith == "pii")
        #expect(audit.retention == .seconds(30 * 86_400) && audit.maxBodyBytes == 1 << 20)
        let sized = try #require(try parse("audit:\n  routes: ['*']\n  retention: 2d\n  max_body_bytes: 64KiB\n").audit)
        #expect(sized.retention == .seconds(2 * 86_400) && sized.maxBodyBytes == 64 << 10 && sized.redactWith == nil)
    }

    @Test("audit matching by key or route prefix")
    func matching() {
        let byKey = AuditConfig(keys: ["key_a"])
        #expect(byKey.matches(keyID: "key_a", path: "/v1/embeddings"))
        #expect(!byKey.matches(keyID: "key_b", path: "/v1/embeddings"))
        #expect(!byKey.matches(keyID: nil, path: "/v1/embeddings"))
        let byRoute = AuditConfig(routes: ["/v1/chat"])
        #expect(byRoute.matches(keyID: nil, path: "/v1/chat/completions"))
        #expect(!byRoute.matches(keyID: "key_a", path: "/v1/messages"))
        #expect(AuditConfig(keys: ["*"]).matches(keyID: nil, path: "/anything"))
        #expect(AuditConfig(routes: ["*"]).matches(keyID: "k", path: "/v1/messages"))
    }

    @Test("errors name the key and line", arguments: [
        ("usage:\n  colour: red\n", "test.yaml:2:3: usage.colour: unknown key (known keys: record, retention)"),
        ("usage:\n  record: yes please\n", "test.yaml:2:11: usage.record: expected true or false (an empty value means false), got \"yes please\""),
        ("usage:\n  retention: 0d\n", "test.yaml:2:14: usage.retention: expected a retention such as 90d (whole days, 1 to 36500) or 12h, got \"0d\""),
        ("usage:\n  retention: 500ms\n", "test.yaml:2:14: usage.retention: must be at least 1s"),
        ("audit:\n  max_body_bytes: 0\n  routes: ['*']\n", "test.yaml:2:19: audit.max_body_bytes: must be greater than zero"),
        ("audit:\n  retention: 30d\n", "test.yaml:2:3: audit: audit needs keys or routes (\"*\" for all); without either nothing would be audited"),
        ("audit:\n  routes: [v1]\n", "test.yaml:2:12: audit.routes[0]: must be a path prefix starting with \"/\" or \"*\", got \"v1\""),
        ("audit:\n  routes: ['*']\n  redact: pii\n", "test.yaml:3:3: audit.redact: unknown key (known keys: keys, routes, redact_with, retention, max_body_bytes)"),
    ])
    func errors(yaml: String, message: String) {
        #expect(errorText(yaml) == message)
    }

    @Test("redact_with must name an enabled guardrail")
    func redactor() {
        let text = errorText(Self.pii + "audit:\n  routes: ['*']\n  redact_with: pi\n")
        #expect(text == #"test.yaml:7:16: audit.redact_with: redact_with names no enabled guardrail "pi" (did you mean "pii"?)"#)
    }
}
