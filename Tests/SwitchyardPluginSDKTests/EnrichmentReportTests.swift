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
