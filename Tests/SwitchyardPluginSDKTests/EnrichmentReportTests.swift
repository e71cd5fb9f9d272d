import SwitchyardPluginSDK
import Testing

/// The report an enricher writes: the canonical meta JSON, members in a fixed order, nil ones
/// left out, strings escaped, counts never negative.
@Suite struct EnrichmentReportTests {
    private func text(_ report: EnrichmentReport) -> String { String(decoding: report.json, as: UTF8.self) }

    @Test func aFullReportInTheCanonicalShape() {
        let usage = TokenUsage(prompt: 9, completion: 12, cached: 3, cacheCreation: 2, reasoning: 5)
        let report = EnrichmentReport(operation: "chat.completions", model: "gpt-4o-mini", usage: usage, auditPath: "/v1/chat/completions")
        #expect(text(report) == #"{"operation":"chat.completions","model":"gpt-4o-mini","usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":3,"cache_creation_tokens":2},"completion_tokens_details":{"reasoning_tokens":5}},"audit_path":"/v1/chat/completions"}"#)
    }

    @Test func nilMembersAndDetailsAreLeftOut() {
        #expect(text(EnrichmentReport()) == "{}")
        #expect(text(EnrichmentReport(auditPath: "/v1/files")) == #"{"audit_path":"/v1/files"}"#)
        let embeddings = EnrichmentReport(operation: "embeddings", usage: TokenUsage(prompt: 3, completion: nil))
        #expect(text(embeddings) == #"{"operation":"embeddings","usage":{"prompt_tokens":3,"total_tokens":3}}"#)
        let creationOnly = EnrichmentReport(usage: TokenUsage(prompt: 1, completion: 1, cacheCreation: 1))
        #expect(text(creationOnly) == #"{"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cache_creation_tokens":1}}}"#)
    }

    @Test func stringsAreEscapedAndCountsClampedAtZero() throws {
        let report = EnrichmentReport(model: "a\"b\\c\n\u{1}é", usage: TokenUsage(prompt: -4, completion: 2, total: -1, cached: -1))
        #expect(text(report) == #"{"model":"a\"b\\c\n\u0001é","usage":{"prompt_tokens":0,"completion_tokens":2,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0}}}"#)
        #expect(try JSONValue.parse(report.json)["model"]?.stringValue == "a\"b\\c\n\u{1}é")
    }

    @Test func anExplicitTotalIsKept() {
        #expect(TokenUsage(prompt: 1, completion: 2, total: 10).totalTokens == 10)
        #expect(TokenUsage(prompt: 1, completion: 2).totalTokens == 3)
    }
}

/// RawJSON's allocation-free reading, as the enrichers use it on every stream event.
@Suite struct RawJSONTests {
    private func mentions(_ text: String, _ key: StaticString) -> Bool {
        Array(text.utf8).withUnsafeBytes { RawJSON.mentions($0, key) }
    }

    @Test func mentionsFindsAQuotedKeyAndNothingElse() {
        #expect(mentions(#"{"usage":{"a":1}}"#, "usage"))
        #expect(mentions(#"{"x":1,"usage":null}"#, "usage"))
        #expect(mentions(#""usage""#, "usage"))
        #expect(!mentions(#"{"text":"the \"usage\" word"}"#, "usage"))
        #expect(!mentions(#"{"usages":1,"usag":2,"u":"usage_x"}"#, "usage"))
        #expect(mentions(#"{"u":"usage"}"#, "usage"))  // a value that is exactly the key: "maybe", one parse more
        #expect(!mentions(#"{"usage"#, "usage"))
        #expect(!mentions("", "usage"))
        #expect(mentions(#"{"usageMetadata":{}}"#, "usageMetadata") && !mentions(#"{"usageMetadata":{}}"#, "usage"))
    }

    @Test func membersIntegersAndStrings() {
        let document = Array(#"{"n":12,"neg":-1,"f":1.5,"s":"a\u00e9\n","o":{"k":true}}"#.utf8)
        var seen: [String: String] = [:]
        let valid = document.withUnsafeBytes { raw in
            RawJSON.forEachMember(raw) { key, value in
                let name = String(decoding: key, as: UTF8.self)
                seen[name] = RawJSON.integer(value).map(String.init) ?? RawJSON.string(value) ?? (RawJSON.isObject(value) ? "object" : "other")
            }
        }
        #expect(valid)
        #expect(seen == ["n": "12", "neg": "other", "f": "other", "s": "aé\n", "o": "object"])
        #expect(!Array(#"{"n":1"#.utf8).withUnsafeBytes { RawJSON.forEachMember($0) { _, _ in } })
    }
}
