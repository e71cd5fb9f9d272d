import Testing

@testable import SwitchyardConfig

@Suite("providers[].passthrough")
struct PassthroughPolicyTests {
    /// One provider whose flow-style entry is on line 5: `  - {name: oai, plugin: oai, models: [m], FIELDS}`.
    static func provider(_ fields: String) -> String {
        """
        plugins:
          - name: oai
            path: /p/libProviderOpenAI.so
        providers:
          - {name: oai, plugin: oai, models: [m], \(fields)}

        """
    }

    @Test("off unless the entry says so; true, false, empty and the mapping forms")
    func forms() throws {
        #expect(try parse(Self.provider("models: [m]").replacingOccurrences(of: ", models: [m]}", with: "}")).providers[0].passthrough == nil)
        #expect(try parse(Self.provider("passthrough: false")).providers[0].passthrough == nil)
        #expect(try parse(Self.provider("passthrough: ")).providers[0].passthrough == nil)
        #expect(try parse(Self.provider("passthrough: true")).providers[0].passthrough == PassthroughPolicy())
        #expect(try parse(Self.provider("passthrough: {enabled: false, allow: [/v1/]}")).providers[0].passthrough == nil)
        let policy = try parse(Self.provider("passthrough: {allow: [/v1/, /v1beta/], deny: [/v1/files]}")).providers[0].passthrough
        #expect(policy == PassthroughPolicy(allow: ["/v1/", "/v1beta/"], deny: ["/v1/files"]))
    }

    @Test("allow and deny decide by prefix, deny first, each refusal saying why")
    func refusals() {
        let policy = PassthroughPolicy(allow: ["/v1/"], deny: ["/v1/files"])
        #expect(policy.refusal(of: "/v1/chat/completions") == nil)
        #expect(policy.refusal(of: "/v1/files/abc") == #"it is under "/v1/files", which passthrough.deny lists"#)
        #expect(policy.refusal(of: "/v2/models") == #"passthrough.allow lists only "/v1/""#)
        #expect(PassthroughPolicy().refusal(of: "/anything") == nil)
    }

    @Test("errors name the key with file:line:column", arguments: [
        (provider("passthrough: yes"), #"test.yaml:5:56: providers[0].passthrough: expected true or false (an empty value means false), got "yes""#),
        (provider("passthrough: {allow: /v1/}"), #"test.yaml:5:64: providers[0].passthrough.allow: expected a list, got "/v1/""#),
        (provider("passthrough: {allow: [v1/]}"), #"test.yaml:5:65: providers[0].passthrough.allow[0]: a path prefix starts with "/" (the path after /p/{provider}), got "v1/""#),
        (provider("passthrough: {deny: [/v1/x?y]}"), #"test.yaml:5:64: providers[0].passthrough.deny[0]: a path prefix has no query ("?"): prefixes match the path only"#),
        (provider("passthrough: {alow: [/v1/]}"), #"test.yaml:5:57: providers[0].passthrough.alow: unknown key (did you mean "allow"?)"#),
    ])
    func errors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }
}
