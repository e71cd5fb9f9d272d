import SwitchyardHTTP
import SwitchyardJSON

/// The Anthropic, Gemini, Responses and embeddings routes: read the request in its format (a
/// malformed one is refused at once, in the format's error shape), then after the delay and
/// status knobs answer the shared `MockAnswer` in that format.
extension MockResponder {
    private func formatKnobs(_ request: HTTPRequest) -> MockKnobs {
        faults.apply(to: defaults.overridden(by: request.headers).readingFormatKnobs(from: request.headers))
    }

    func anthropicMessages(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = formatKnobs(request)
        let messages: MockAnthropicRequest
        do { messages = try MockAnthropicRequest(parsed, headers: request.headers) } catch { return MockErrorFormat.anthropic.send(error, to: writer) }
        let message = MockAnthropicMessage(id: "msg_mock_\(nextNumber())", model: messages.model, answer: MockAnswer(messages.question, knobs: knobs))
        deliver(knobs, writer, errors: .anthropic) { [self] in
            if messages.stream {
                let events = message.events(chunks: knobs.chunks, streamError: knobs.streamError)
                SSEPacer(events: events.payloads, framing: events.framing, writer: writer, knobs: knobs).start()
            } else {
                json(writer, 200, message.whole())
            }
        }
    }

    func anthropicCountTokens(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = formatKnobs(request)
        let count: MockAnthropicRequest
        do { count = try MockAnthropicRequest(parsed, headers: request.headers, countTokens: true) } catch { return MockErrorFormat.anthropic.send(error, to: writer) }
        let tokens = max(1, count.question.promptWords)
        deliver(knobs, writer, errors: .anthropic) { [self] in
            json(writer, 200, JSONValue.object(JSONObject([("input_tokens", .number(tokens))])).serialized())
        }
    }

    func responses(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = formatKnobs(request)
        let body: MockResponsesRequest
        do { body = try MockResponsesRequest(parsed) } catch { return MockErrorFormat.openAI.send(error, to: writer) }
        let response = MockResponsesResponse(number: nextNumber(), request: body, answer: MockAnswer(body.question, knobs: knobs))
        deliver(knobs, writer, errors: .openAI) { [self] in
            if body.stream {
                let events = response.events(chunks: knobs.chunks, streamError: knobs.streamError)
                SSEPacer(events: events.payloads, framing: events.framing, writer: writer, knobs: knobs).start()
            } else {
                json(writer, 200, response.whole())
            }
        }
    }

    func embeddings(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = faults.apply(to: defaults.overridden(by: request.headers))
        let answer: [UInt8]
        do { answer = try MockEmbeddings.openAI(parsed) } catch { return MockErrorFormat.openAI.send(error, to: writer) }
        deliver(knobs, writer, errors: .openAI) { [self] in json(writer, 200, answer) }
    }

    /// `/v1beta/models/{model}:{method}`; `streamGenerateContent` streams SSE with `alt=sse`, else
    /// answers every chunk at once in one JSON array, as Gemini does.
    func gemini(_ request: HTTPRequest, _ parsed: JSONValue?, _ writer: ResponseWriter) {
        let knobs = formatKnobs(request)
        guard let path = MockGeminiPath(request.path) else {
            return MockErrorFormat.gemini.send(MockRejection(status: 404, message: "Requested entity was not found."), to: writer)
        }
        let answer: () -> Void
        do throws(MockRejection) {
            switch path.method {
            case "generateContent", "streamGenerateContent":
                let body = try MockGeminiRequest(parsed)
                let response = MockGeminiResponse(
                    model: path.model, responseID: "gemini_mock_\(nextNumber())", answer: MockAnswer(body.question, knobs: knobs), candidates: body.candidates
                )
                if path.method == "generateContent" {
                    answer = { [self] in json(writer, 200, response.whole()) }
                } else if Self.wantsSSE(request.query) {
                    answer = { SSEPacer(events: response.events(chunks: knobs.chunks, streamError: knobs.streamError), framing: .gemini, writer: writer, knobs: knobs).start() }
                } else {
                    answer = { [self] in json(writer, 200, Self.jsonArray(response.events(chunks: knobs.chunks, streamError: knobs.streamError))) }
                }
            case "countTokens":
                let counted = MockGeminiResponse.countTokens(try MockGeminiRequest.forCountTokens(parsed).question)
                answer = { [self] in json(writer, 200, counted) }
            case "embedContent":
                let embedding = try MockEmbeddings.geminiSingle(parsed)
                answer = { [self] in json(writer, 200, embedding) }
            case "batchEmbedContents":
                let embeddings = try MockEmbeddings.geminiBatch(parsed, model: path.model)
                answer = { [self] in json(writer, 200, embeddings) }
            default:
                throw MockRejection(status: 404, message: "Requested entity was not found.")
            }
        } catch {
            return MockErrorFormat.gemini.send(error, to: writer)
        }
        deliver(knobs, writer, errors: .gemini, answer)
    }

    private static func wantsSSE(_ query: String?) -> Bool {
        query?.split(separator: "&").contains("alt=sse") ?? false
    }

    private static func jsonArray(_ items: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, item) in items.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: item)
        }
        bytes.append(UInt8(ascii: "]"))
        return bytes
    }
}
