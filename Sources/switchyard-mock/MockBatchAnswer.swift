import SwitchyardHTTP
import SwitchyardJSON

/// What one request of a batch gets: the same answer the live endpoint gives its body, or that
/// endpoint's error. A body can ask to fail (`"model": "mock-fail"` or `"x-mock-fail": true`),
/// so tests get failed lines next to good ones in the same batch.
struct MockBatchAnswer {
    /// 200, or the status the live endpoint would answer.
    let status: Int
    /// The response body, or the error's message when `status` is not 200.
    let body: [UInt8]
    let message: String
    let usage: MockBatchUsage

    /// The failure a body asked for, if it did.
    static func requestedFailure(_ body: JSONValue) -> MockRejection? {
        let flag = body["x-mock-fail"]
        guard body["model"]?.stringValue == "mock-fail" || flag?.boolValue == true || flag?.intValue == 1 else { return nil }
        return MockRejection(status: 500, message: "The mock failed this request because its body asked for it.")
    }

    private init(status: Int, body: [UInt8], message: String = "", usage: MockBatchUsage = MockBatchUsage()) {
        self.status = status
        self.body = body
        self.message = message
        self.usage = usage
    }

    private init(_ rejection: MockRejection, body: [UInt8]) {
        self.init(status: rejection.status, body: body, message: rejection.message)
    }

    /// The answer of OpenAI endpoint `endpoint` (the batch's; every line names it) to `body`,
    /// an error body in OpenAI's shape when it fails. Numbers ids from `responder`.
    static func openAI(endpoint: String, body: JSONValue, responder: MockResponder) -> MockBatchAnswer {
        func failed(_ rejection: MockRejection) -> MockBatchAnswer {
            MockBatchAnswer(rejection, body: MockError.body(rejection.message, type: MockError.type(for: rejection.status), param: rejection.param))
        }
        if let failure = requestedFailure(body) { return failed(failure) }
        switch endpoint {
        case "/v1/chat/completions":
            guard body["messages"]?.arrayValue != nil else { return failed(MockRejection(message: "Missing required parameter: 'messages'.", param: "messages")) }
            let completion = MockCompletion(request: body, id: "chatcmpl-mock-\(responder.nextNumber())")
            return MockBatchAnswer(status: 200, body: completion.whole(), usage: MockBatchUsage(input: completion.promptTokens, output: completion.completionTokens))
        case "/v1/embeddings":
            do {
                let answer = try MockEmbeddings.openAI(body)
                let tokens = (try? JSONValue.parse(answer))?["usage"]?["prompt_tokens"]?.intValue ?? 0
                return MockBatchAnswer(status: 200, body: answer, usage: MockBatchUsage(input: tokens))
            } catch {
                return failed(error)
            }
        case "/v1/responses":
            do {
                let request = try MockResponsesRequest(body)
                let answer = MockAnswer(request.question, knobs: MockKnobs())
                let response = MockResponsesResponse(number: responder.nextNumber(), request: request, answer: answer)
                return MockBatchAnswer(status: 200, body: response.whole(), usage: MockBatchUsage(input: answer.promptTokens, output: answer.outputTokens))
            } catch {
                return failed(error)
            }
        default:
            return failed(MockRejection(status: 404, message: "The mock answers no batch requests for \(endpoint)."))
        }
    }

    /// The Anthropic message for `params`, or Anthropic's error (the `error` object of an
    /// `errored` result) when they fail.
    static func anthropic(params: JSONValue, responder: MockResponder) -> MockBatchAnswer {
        func failed(_ rejection: MockRejection) -> MockBatchAnswer {
            let error = MockErrorFormat.anthropicError(rejection.message, type: MockErrorFormat.anthropicType(for: rejection.status))
            return MockBatchAnswer(rejection, body: error.serialized())
        }
        if let failure = requestedFailure(params) { return failed(failure) }
        do {
            let request = try MockAnthropicRequest(params, headers: anthropicHeaders)
            let answer = MockAnswer(request.question, knobs: MockKnobs())
            let message = MockAnthropicMessage(id: "msg_mock_\(responder.nextNumber())", model: request.model, answer: answer)
            return MockBatchAnswer(status: 200, body: message.whole(), usage: MockBatchUsage(input: answer.promptTokens, output: answer.outputTokens))
        } catch {
            return failed(error)
        }
    }

    /// A batch's requests carry no headers of their own: the batch request was versioned.
    private static let anthropicHeaders = HTTPHeaders([("anthropic-version", "2023-06-01")])
}

/// Tokens a batch used, summed over its lines, in the fields OpenAI's batch `usage` reports.
struct MockBatchUsage: Sendable {
    var input = 0
    var output = 0

    static func += (total: inout MockBatchUsage, line: MockBatchUsage) {
        total.input += line.input
        total.output += line.output
    }

    var json: JSONValue {
        [
            "input_tokens": .number(input), "input_tokens_details": ["cached_tokens": 0],
            "output_tokens": .number(output), "output_tokens_details": ["reasoning_tokens": 0], "total_tokens": .number(input + output),
        ]
    }
}
