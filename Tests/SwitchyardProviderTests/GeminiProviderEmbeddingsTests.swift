import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins
import Testing

/// OpenAI embeddings ⇄ embedContent / batchEmbedContents, and count_tokens answers.
@Suite struct GeminiProviderEmbeddingsTests {
    let harness: ProviderHarness
    let call = ProviderHarness.call(SY_OP_EMBEDDINGS, model: "gemini-embedding-001")

    init() throws { harness = try GeminiFixtures.harness() }

    @Test func singleInputGoesToEmbedContentWithDimensions() throws {
        let request = try harness.prepare(["model": "gemini-embedding-001", "input": "What is the meaning of life?", "dimensions": 768], call).get()
        #expect(request.url == "http://127.0.0.1:9/v1beta/models/gemini-embedding-001:embedContent")
        #expect(try JSONValue.parse(request.body) == [
            "content": ["parts": [["text": "What is the meaning of life?"]]], "outputDimensionality": 768,
        ])

        let transcript = harness.respond(call, text: #"{"embedding": {"values": [-0.022374554, 0.005, 1.5e-3]}}"#)
        #expect(transcript.failure == nil)
        #expect(transcript.json.first == [
            "object": "list",
            "data": [["object": "embedding", "index": 0, "embedding": [.number("-0.022374554"), .number("0.005"), .number("1.5e-3")]]],
            "model": "gemini-embedding-001",
            "usage": ["prompt_tokens": 0, "total_tokens": 0],
        ])
        #expect(transcript.usage == ["prompt_tokens": 0, "total_tokens": 0])
    }

    @Test func listInputGoesToBatchEmbedContentsInOrder() throws {
        let request = try harness.prepare(["model": "gemini-embedding-001", "input": ["first", "second"]], call).get()
        #expect(request.url == "http://127.0.0.1:9/v1beta/models/gemini-embedding-001:batchEmbedContents")
        #expect(try JSONValue.parse(request.body) == ["requests": [
            ["model": "models/gemini-embedding-001", "content": ["parts": [["text": "first"]]]],
            ["model": "models/gemini-embedding-001", "content": ["parts": [["text": "second"]]]],
        ]])

        let transcript = harness.respond(call, text: #"{"embeddings": [{"values": [0.1, 0.2]}, {"values": [0.3, 0.4]}]}"#, chunkSize: 4)
        let data = transcript.json.first?["data"]?.arrayValue ?? []
        #expect(data.map { $0["index"]?.intValue } == [0, 1])
        #expect(data.map { $0["embedding"] } == [[.number("0.1"), .number("0.2")], [.number("0.3"), .number("0.4")]])
    }

    @Test func base64EncodingPacksLittleEndianFloat32() throws {
        let request: JSONValue = ["model": "gemini-embedding-001", "input": "x", "encoding_format": "base64"]
        _ = try harness.prepare(request, call).get()
        var call = call
        call.request = request.serialized()
        let transcript = harness.respond(call, text: #"{"embedding": {"values": [1.0, -2.0, 0.5]}}"#)
        // 1.0 = 00 00 80 3F, -2.0 = 00 00 00 C0, 0.5 = 00 00 00 3F
        #expect(transcript.json.first?["data"]?[0]?["embedding"]?.stringValue == "AACAPwAAAMAAAAA/")
    }

    static let tokenInputs: [JSONValue] = [[1, 2, 3], [[1, 2], [3]]]

    @Test(arguments: tokenInputs)
    func tokenIdInputsAreRejected(input: JSONValue) {
        guard case .failure(let failure) = harness.prepare(["model": "gemini-embedding-001", "input": input], call) else {
            Issue.record("token input was accepted")
            return
        }
        #expect(failure.status == SY_E_UNSUPPORTED)
        #expect(failure.httpStatus == 400)
        #expect(failure.message.contains("input"))
    }

    @Test func emptyInputListIsInvalid() {
        guard case .failure(let failure) = harness.prepare(["model": "gemini-embedding-001", "input": []], call) else {
            Issue.record("empty input was accepted")
            return
        }
        #expect(failure.httpStatus == 400)
    }

    @Test func countTokensAnswersInputTokens() {
        let count = ProviderHarness.call(SY_OP_COUNT_TOKENS, model: "gemini-2.5-flash")
        let transcript = harness.respond(count, text: #"{"totalTokens": 31, "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 31}]}"#, chunkSize: 2)
        #expect(transcript.failure == nil)
        #expect(transcript.json == [["input_tokens": 31]])
        #expect(transcript.usage?["total_tokens"]?.intValue == 0)
    }
}
