import CSwitchyardPlugin
import SwitchyardJSON
import Testing

/// Non-2xx Anthropic answers → the client's error and the router's retry hint.
@Suite struct AnthropicProviderErrorTests {
    let harness: ProviderHarness

    init() throws { harness = try ProviderHarness.anthropic() }

    static func anthropicError(_ type: String, _ message: String) -> [UInt8] {
        Array(#"{"type":"error","error":{"type":"\#(type)","message":"\#(message)"}}"#.utf8)
    }

    struct Case: Sendable {
        let status: Int
        let anthropicType: String
        let clientStatus: Int
        let openAIType: String
        let retryable: Bool
    }

    static let cases = [
        Case(status: 400, anthropicType: "invalid_request_error", clientStatus: 400, openAIType: "invalid_request_error", retryable: false),
        Case(status: 401, anthropicType: "authentication_error", clientStatus: 401, openAIType: "authentication_error", retryable: false),
        Case(status: 403, anthropicType: "permission_error", clientStatus: 403, openAIType: "permission_error", retryable: false),
        Case(status: 404, anthropicType: "not_found_error", clientStatus: 404, openAIType: "not_found_error", retryable: false),
        Case(status: 413, anthropicType: "request_too_large", clientStatus: 413, openAIType: "request_too_large", retryable: false),
        Case(status: 429, anthropicType: "rate_limit_error", clientStatus: 429, openAIType: "rate_limit_error", retryable: true),
        Case(status: 500, anthropicType: "api_error", clientStatus: 500, openAIType: "api_error", retryable: true),
        Case(status: 529, anthropicType: "overloaded_error", clientStatus: 503, openAIType: "overloaded_error", retryable: true),
    ]

    @Test(arguments: cases) func anthropicErrorBecomesAnOpenAIError(_ errorCase: Case) {
        let body = Self.anthropicError(errorCase.anthropicType, "Something about \(errorCase.status)")
        for call in [ProviderHarness.call(), ProviderHarness.call(stream: true), ProviderHarness.call(SY_OP_COUNT_TOKENS)] {
            let transcript = harness.respond(call, status: errorCase.status, body: body, chunkSize: 4)
            #expect(transcript.failure?.status == SY_E_UPSTREAM)
            #expect(transcript.failure?.httpStatus == errorCase.clientStatus)
            #expect(transcript.failure?.retryable == errorCase.retryable)
            #expect(transcript.errors == [[
                "error": ["message": .string("Something about \(errorCase.status)"), "type": .string(errorCase.openAIType),
                          "param": nil, "code": .string(errorCase.anthropicType)],
            ]])
            #expect(transcript.json.isEmpty)
        }
    }

    @Test(arguments: cases) func nativeMessagesKeepAnthropicsErrorBody(_ errorCase: Case) {
        let body = Self.anthropicError(errorCase.anthropicType, "native \(errorCase.status)")
        let transcript = harness.respond(ProviderHarness.call(SY_OP_MESSAGES), status: errorCase.status, body: body)
        #expect(transcript.failure?.httpStatus == errorCase.clientStatus)
        #expect(transcript.failure?.retryable == errorCase.retryable)
        #expect(transcript.errors == [try? JSONValue.parse(body)])
    }

    @Test func errorBodyThatIsNotAnthropicsStillNamesTheStatus() {
        let transcript = harness.respond(status: 502, body: Array("<html>Bad Gateway</html>".utf8))
        #expect(transcript.failure?.httpStatus == 502)
        #expect(transcript.failure?.retryable == true)
        #expect(transcript.errors.first?["error"]?["type"] == "api_error")
        #expect(transcript.errors.first?["error"]?["message"]?.stringValue?.contains("HTTP 502") == true)

        // No Anthropic type in the body: the SDK's table decides (503 is overloaded_error).
        let native = harness.respond(ProviderHarness.call(SY_OP_MESSAGES), status: 503, body: [])
        #expect(native.errors.first?["type"] == "error")
        #expect(native.errors.first?["error"]?["type"] == "overloaded_error")
        let other = harness.respond(ProviderHarness.call(SY_OP_MESSAGES), status: 500, body: [])
        #expect(other.errors.first?["error"]?["type"] == "api_error")
    }
}
