import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// Lines of a Message Batch's results → OpenAI batch output lines (`result`), through the built
/// .so: succeeded (the chat translation's chat.completion), errored (status by error type, OpenAI
/// error body), canceled and expired.
@Suite struct AnthropicBatchResultTests {
    let harness: ProviderHarness

    init() throws { harness = try ProviderHarness.anthropic() }

    private func result(_ line: String) throws -> JSONValue { try harness.batchResult(line).get() }

    static let message = #"""
    {"id":"msg_014VwiXbi91y3JMjcpyGBHX5","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001",
     "content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris"}}],
     "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":380,"output_tokens":57}}
    """#.split(separator: "\n").joined()

    @Test func aSucceededLineCarriesTheChatCompletionTheResponseTranslationMakes() throws {
        let line = try result(#"{"custom_id":"req-1","result":{"type":"succeeded","message":\#(Self.message)}}"#)
        #expect(line.objectValue?.keys.sorted() == ["custom_id", "error", "id", "response"])
        #expect(line["id"] == "batch_req_req-1")
        #expect(line["custom_id"] == "req-1")
        #expect(line["error"] == .null)
        let response = try #require(line["response"])
        #expect(response["status_code"] == 200)
        #expect(response["request_id"] == "msg_014VwiXbi91y3JMjcpyGBHX5")
        let body = try #require(response["body"])
        // The same completion the provider makes of this message as a whole chat answer.
        let direct = try #require(harness.respond(body: Array(Self.message.utf8)).json.first)
        var withoutCreated = body.objectValue, directWithoutCreated = direct.objectValue
        withoutCreated?["created"] = nil
        directWithoutCreated?["created"] = nil
        #expect(withoutCreated == directWithoutCreated)
        #expect(body["object"] == "chat.completion")
        #expect((body["created"]?.intValue ?? 0) > 1_700_000_000)
        #expect(body["choices"]?[0]?["finish_reason"] == "tool_calls")
        #expect(body["choices"]?[0]?["message"]?["tool_calls"]?[0]?["function"]?["arguments"] == #"{"city":"Paris"}"#)
        #expect(body["usage"]?["prompt_tokens"] == 380 && body["usage"]?["completion_tokens"] == 57)
    }

    @Test(arguments: [
        ("invalid_request_error", 400), ("authentication_error", 401), ("permission_error", 403), ("not_found_error", 404),
        ("request_too_large", 413), ("rate_limit_error", 429), ("api_error", 500), ("overloaded_error", 529), ("new_kind_error", 500),
    ])
    func anErroredLineHasTheStatusOfItsErrorTypeAndAnOpenAIErrorBody(_ type: String, _ status: Int) throws {
        let line = try result(#"""
        {"custom_id":"r-2","result":{"type":"errored","error":{"type":"error","error":{"type":"\#(type)","message":"max_tokens: Field required"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}}}
        """#)
        #expect(line["id"] == "batch_req_r-2" && line["custom_id"] == "r-2")
        #expect(line["error"] == .null)
        #expect(line["response"]?["status_code"] == .number(String(status)))
        #expect(line["response"]?["request_id"] == "req_011CSHoEeqs5C35K2UUqR7Fy")
        #expect(line["response"]?["body"]?["error"]?["message"] == "max_tokens: Field required")
        #expect(line["response"]?["body"]?["error"]?["type"] == .string(type))
    }

    @Test func anErrorInTheOlderUnwrappedShapeReadsTheSame() throws {
        let line = try result(#"{"custom_id":"r-3","result":{"type":"errored","error":{"type":"invalid_request_error","message":"bad"}}}"#)
        #expect(line["response"]?["status_code"] == 400)
        #expect(line["response"]?["request_id"] == .null)
        #expect(line["response"]?["body"]?["error"]?["message"] == "bad")
    }

    @Test func aCanceledLineHasNoResponseAndTheBatchCancelledError() throws {
        let line = try result(#"{"custom_id":"r-4","result":{"type":"canceled"}}"#)
        #expect(line["response"] == .null)
        #expect(line["error"]?["code"] == "batch_cancelled")
        #expect((line["error"]?["message"]?.stringValue ?? "").contains("cancelled"))
    }

    @Test func anExpiredLineHasNoResponseAndTheBatchExpiredError() throws {
        let line = try result(#"{"custom_id":"r-5","result":{"type":"expired"}}"#)
        #expect(line["response"] == .null)
        #expect(line["error"]?["code"] == "batch_expired")
        #expect((line["error"]?["message"]?.stringValue ?? "").contains("expired"))
    }

    @Test(arguments: [
        ("", "not a JSON object"),
        ("[]", "not a JSON object"),
        (#"{"result":{"type":"canceled"}}"#, "no custom_id"),
        (#"{"custom_id":"a"}"#, "no result type"),
        (#"{"custom_id":"a","result":{"type":"paused"}}"#, "result type is \"paused\""),
        (#"{"custom_id":"a","result":{"type":"succeeded"}}"#, "succeeded result has no message"),
        (#"{"custom_id":"a","result":{"type":"succeeded","message":{"type":"error"}}}"#, "not a message"),
    ])
    func aLineThatIsNoResultIsRefusedSayingWhy(_ line: String, _ why: String) throws {
        guard case .failure(let failure) = harness.batchResult(line) else { Issue.record("accepted"); return }
        #expect(failure.status == SY_E_UPSTREAM && failure.message.contains(why), "\(failure.message)")
    }
}
