import SwitchyardPluginSDK
import Testing

/// The upstream error policy every provider shares (docs/decisions/0032): the status → type and
/// retry table, the 64 KiB bound, the message quoting a body's first 200 bytes. The same table is
/// pinned for C in plugin-sdk/tests/upstream-error/upstream_error_test.c.
@Suite struct UpstreamErrorPolicyTests {
    struct Row: Sendable, CustomStringConvertible {
        let status: Int, type: String, retryable: Bool
        var description: String { "\(status)" }
    }

    static let table = [
        Row(status: 400, type: "invalid_request_error", retryable: false), Row(status: 401, type: "authentication_error", retryable: false),
        Row(status: 403, type: "permission_error", retryable: false), Row(status: 404, type: "not_found_error", retryable: false),
        Row(status: 408, type: "invalid_request_error", retryable: true), Row(status: 409, type: "invalid_request_error", retryable: false),
        Row(status: 422, type: "invalid_request_error", retryable: false), Row(status: 429, type: "rate_limit_error", retryable: true),
        Row(status: 500, type: "api_error", retryable: true), Row(status: 502, type: "api_error", retryable: true),
        Row(status: 503, type: "overloaded_error", retryable: true), Row(status: 504, type: "api_error", retryable: true),
        Row(status: 529, type: "api_error", retryable: true), Row(status: 302, type: "api_error", retryable: false),
        Row(status: 0, type: "api_error", retryable: false), Row(status: 600, type: "api_error", retryable: true),
    ]

    @Test(arguments: table) func typeAndRetryByStatus(_ row: Row) {
        #expect(UpstreamErrorPolicy.errorType(forStatus: row.status) == row.type)
        #expect(UpstreamErrorPolicy.isRetryable(status: row.status) == row.retryable)
        #expect(UpstreamErrorPolicy.failure("m", status: row.status).retryable == row.retryable)
        #expect(UpstreamErrorPolicy.failure("m", status: row.status).status == SY_E_UPSTREAM)
    }

    @Test func theClientsStatusMayDifferFromTheOneThatDecidesRetrying() {
        let failure = UpstreamErrorPolicy.failure("overloaded", status: 503, retryableStatus: 529)
        #expect(failure.httpStatus == 503 && failure.retryable)
        #expect(!UpstreamErrorPolicy.failure("gone", status: 410, retryableStatus: 410).retryable)
    }

    @Test func theBodyKeepsItsFirst64KiB() {
        var body = UpstreamErrorBody()
        let chunk = [UInt8](repeating: 0x78, count: 40_000)
        for _ in 0..<3 { chunk.withUnsafeBytes { body.append($0) } }
        #expect(body.bytes.count == UpstreamErrorPolicy.keptBodyBytes)
        #expect(body.json == nil)
    }

    @Test func theMessageQuotesTheFirst200Bytes() {
        let long = [UInt8](repeating: 0x61, count: 500)
        #expect(UpstreamErrorPolicy.message(status: 502, body: long) == "upstream returned HTTP 502: " + String(repeating: "a", count: 200))
        #expect(UpstreamErrorPolicy.message(status: 404, body: []) == "upstream returned HTTP 404")
        #expect(UpstreamErrorPolicy.message(status: 500, body: Array("oops".utf8), source: "gemini") == "gemini returned HTTP 500: oops")
    }

    @Test func theErrorBodyIsOpenAIsShape() throws {
        let body = try JSONValue.parse(UpstreamErrorPolicy.openAIErrorBody(message: "m", type: "api_error"))
        #expect(body == ["error": ["message": "m", "type": "api_error", "param": nil, "code": nil]])
        let coded = try JSONValue.parse(UpstreamErrorPolicy.openAIErrorBody(message: "m", type: "t", code: "c"))
        #expect(coded["error"]?["code"] == "c")
    }
}
