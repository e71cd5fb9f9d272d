import Foundation
import Testing

/// The mock's embeddings: OpenAI `/v1/embeddings` (every input form, float and base64) and
/// Gemini `embedContent` / `batchEmbedContents`, which give the same vector for the same text.
@Suite(.serialized) struct MockEmbeddingsTests {
    let session: MockSession

    init() throws { session = try MockSession() }

    private func openAI(_ body: String) -> Recorder { session.post("/v1/embeddings", body) }

    private func vectors(_ recorder: Recorder) -> [[Double]] {
        (recorder.object?.list("data") ?? []).map { ($0["embedding"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }
    }

    private func gemini(_ method: String, _ body: String) -> Recorder {
        session.post("/v1beta/models/embedding-test:\(method)", body)
    }

    @Test func openAIListHasUnitVectorsAndWordUsage() throws {
        defer { session.finish() }
        let recorder = openAI(#"{"model":"text-embedding-test","input":"the quick brown fox"}"#)
        #expect(recorder.status == 200)
        let list = try #require(recorder.object)
        #expect(list.string("object") == "list")
        #expect(list.string("model") == "text-embedding-test")
        #expect(list.string("data", 0, "object") == "embedding")
        #expect(list.int("data", 0, "index") == 0)
        let vector = try #require(vectors(recorder).first)
        #expect(vector.count == 8)
        #expect(abs(vector.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        #expect(list.object("usage") as? [String: Int] == ["prompt_tokens": 4, "total_tokens": 4])
    }

    @Test func theSameTextGetsTheSameVectorInBothFormats() throws {
        defer { session.finish() }
        let openAIVectors = vectors(openAI(#"{"model":"m","input":["alpha beta","gamma"]}"#))
        #expect(openAIVectors.count == 2)
        #expect(openAIVectors[0] != openAIVectors[1])
        let single = gemini("embedContent", #"{"content":{"parts":[{"text":"alpha beta"}]}}"#).object
        let geminiVector = (single?.value(at: ["embedding", "values"]) as? [Any])?.compactMap { ($0 as? NSNumber)?.doubleValue }
        #expect(geminiVector == openAIVectors[0])
        let batch = try #require(gemini("batchEmbedContents", #"""
            {"requests":[{"model":"models/embedding-test","content":{"parts":[{"text":"gamma"}]}},
                         {"model":"models/embedding-test","content":{"parts":[{"text":"alpha beta"}]},"outputDimensionality":3}]}
            """#).object?.list("embeddings"))
        let batchVectors = batch.map { ($0["values"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue } }
        #expect(batchVectors.first == openAIVectors[1])
        #expect(batchVectors.last?.count == 3)
    }

    @Test func base64CarriesTheSameLittleEndianFloats() throws {
        defer { session.finish() }
        let floats = try #require(vectors(openAI(#"{"model":"m","input":"alpha","dimensions":4}"#)).first)
        #expect(floats.count == 4)
        let encoded = try #require(openAI(#"{"model":"m","input":"alpha","dimensions":4,"encoding_format":"base64"}"#).object?.string("data", 0, "embedding"))
        let bytes = try #require(Data(base64Encoded: encoded))
        #expect(bytes.count == 16)
        let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset -> Double in
            let bits = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
            return Double(Float(bitPattern: bits))
        }
        #expect(decoded == floats.map { Double(Float($0)) })
    }

    @Test func tokenInputsEmbedTheirNumbers() throws {
        defer { session.finish() }
        let ids = openAI(#"{"model":"m","input":[17,42]}"#)
        #expect(ids.object?.int("usage", "prompt_tokens") == 2)
        #expect(vectors(ids) == vectors(openAI(#"{"model":"m","input":"17 42"}"#)))
        let nested = openAI(#"{"model":"m","input":[[17,42],[7]]}"#)
        #expect(vectors(nested).count == 2)
        #expect(nested.object?.int("usage", "total_tokens") == 3)
    }

    @Test(arguments: [
        (#"{"model":"m","input":""}"#, "input"), (#"{"model":"m"}"#, "input"), (#"{"input":"a"}"#, "model"),
        (#"{"model":"m","input":[1,"a"]}"#, "input"), (#"{"model":"m","input":"a","encoding_format":"int8"}"#, "encoding_format"),
        (#"{"model":"m","input":"a","dimensions":0}"#, "dimensions"),
    ])
    func invalidOpenAIRequestsAre400s(body: String, param: String) {
        defer { session.finish() }
        let recorder = openAI(body)
        #expect(recorder.status == 400)
        #expect(recorder.object?.string("error", "type") == "invalid_request_error")
        #expect(recorder.object?.string("error", "param") == param)
    }

    @Test func invalidGeminiRequestsAreInvalidArgument() {
        defer { session.finish() }
        let missing = gemini("embedContent", "{}")
        #expect(missing.status == 400)
        #expect(missing.object?.string("error", "status") == "INVALID_ARGUMENT")
        let wrongModel = gemini("batchEmbedContents", #"{"requests":[{"model":"models/other","content":{"parts":[{"text":"a"}]}}]}"#)
        #expect(wrongModel.status == 400)
        #expect(wrongModel.object?.string("error", "message")?.contains("models/embedding-test") == true)
    }
}
