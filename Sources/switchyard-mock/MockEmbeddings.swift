import SwitchyardJSON

/// The embeddings endpoints: OpenAI `POST /v1/embeddings` and Gemini `embedContent` /
/// `batchEmbedContents`, checked as those APIs check them. Token ids embed as their decimal
/// numbers joined by spaces, so `[1, 2]` and `"1 2"` share a vector; usage counts words (or ids).
enum MockEmbeddings {
    /// An OpenAI embeddings `list` for `body`.
    static func openAI(_ body: JSONValue?) throws(MockRejection) -> [UInt8] {
        guard let body, body.objectValue != nil else { throw MockRejection(message: "We could not parse the JSON body of your request.") }
        guard let model = body["model"]?.stringValue else { throw MockRejection(message: "Missing required parameter: 'model'.", param: "model") }
        guard let input = body["input"] else { throw MockRejection(message: "Missing required parameter: 'input'.", param: "input") }
        let inputs = try openAIInputs(input)
        let dimensions = try checkedDimensions(body["dimensions"], param: "dimensions")
        let format = body["encoding_format"]?.stringValue ?? "float"
        guard format == "float" || format == "base64" else {
            throw MockRejection(message: "Invalid value for 'encoding_format': expected 'float' or 'base64'.", param: "encoding_format")
        }
        var data: [JSONValue] = []
        var tokens = 0
        for (index, (text, count)) in inputs.enumerated() {
            let vector = MockEmbedding.vector(for: text, dimensions: dimensions)
            let embedding: JSONValue = format == "base64" ? .string(MockEmbedding.base64(vector)) : MockEmbedding.json(vector)
            data.append(["object": "embedding", "index": .number(index), "embedding": embedding])
            tokens += count
        }
        let value: JSONValue = [
            "object": "list", "data": .array(data), "model": .string(model),
            "usage": ["prompt_tokens": .number(tokens), "total_tokens": .number(tokens)],
        ]
        return value.serialized()
    }

    /// string | [string] | [int] | [[int]] as (text, tokens) pairs; anything else is OpenAI's 400.
    private static func openAIInputs(_ input: JSONValue) throws(MockRejection) -> [(String, Int)] {
        let invalid = MockRejection(message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", param: "input")
        if let text = input.stringValue {
            guard !text.isEmpty else { throw invalid }
            return [(text, MockAnswer.words(text))]
        }
        guard let items = input.arrayValue, !items.isEmpty else { throw invalid }
        if items.allSatisfy({ $0.stringValue != nil }) {
            let texts = items.compactMap(\.stringValue)
            guard !texts.contains(where: \.isEmpty) else { throw invalid }
            return texts.map { ($0, MockAnswer.words($0)) }
        }
        if let tokens = tokenIDs(input) { return [(tokens, items.count)] }
        var inputs: [(String, Int)] = []
        for item in items {
            guard let tokens = tokenIDs(item), let count = item.arrayValue?.count, count > 0 else { throw invalid }
            inputs.append((tokens, count))
        }
        return inputs
    }

    /// An array of non-negative integers as its numbers joined by spaces, else nil.
    private static func tokenIDs(_ value: JSONValue) -> String? {
        guard let items = value.arrayValue else { return nil }
        var numbers: [String] = []
        for item in items {
            guard let id = item.intValue, id >= 0 else { return nil }
            numbers.append(String(id))
        }
        return numbers.joined(separator: " ")
    }

    private static func checkedDimensions(_ value: JSONValue?, param: String) throws(MockRejection) -> Int {
        guard let value else { return MockEmbedding.defaultDimensions }
        guard let dimensions = value.intValue, (1...MockEmbedding.maximumDimensions).contains(dimensions) else {
            throw MockRejection(message: "Invalid '\(param)': must be an integer between 1 and \(MockEmbedding.maximumDimensions).", param: param)
        }
        return dimensions
    }

    /// Gemini `embedContent`: `{"embedding": {"values": [...]}}`.
    static func geminiSingle(_ body: JSONValue?) throws(MockRejection) -> [UInt8] {
        guard let body, body.objectValue != nil else { throw MockRejection(message: "Invalid JSON payload received.") }
        let value: JSONValue = ["embedding": try geminiEmbedding(body, path: "EmbedContentRequest")]
        return value.serialized()
    }

    /// Gemini `batchEmbedContents`: every request names the path's model (`models/{model}`);
    /// `{"embeddings": [{"values": [...]}, ...]}` in request order.
    static func geminiBatch(_ body: JSONValue?, model: String) throws(MockRejection) -> [UInt8] {
        guard let requests = body?["requests"]?.arrayValue, !requests.isEmpty else {
            throw MockRejection(message: "* BatchEmbedContentsRequest.requests: requests is not specified\n")
        }
        var embeddings: [JSONValue] = []
        for (index, request) in requests.enumerated() {
            let path = "BatchEmbedContentsRequest.requests[\(index)]"
            guard request["model"]?.stringValue == "models/" + model else {
                throw MockRejection(message: "* \(path).model: must be \"models/\(model)\", the model in the URL.\n")
            }
            embeddings.append(try geminiEmbedding(request, path: path))
        }
        return JSONValue.object(JSONObject([("embeddings", .array(embeddings))])).serialized()
    }

    private static func geminiEmbedding(_ request: JSONValue, path: String) throws(MockRejection) -> JSONValue {
        guard let content = request["content"], content["parts"]?.arrayValue?.isEmpty == false else {
            throw MockRejection(message: "* \(path).content: content is not specified\n")
        }
        let dimensions: Int
        if let value = geminiField(request, "outputDimensionality", "output_dimensionality") {
            guard let count = value.intValue, (1...MockEmbedding.maximumDimensions).contains(count) else {
                throw MockRejection(message: "* \(path).output_dimensionality: must be between 1 and \(MockEmbedding.maximumDimensions).\n")
            }
            dimensions = count
        } else {
            dimensions = MockEmbedding.defaultDimensions
        }
        let vector = MockEmbedding.vector(for: MockGeminiRequest.text(of: content), dimensions: dimensions)
        return ["values": MockEmbedding.json(vector)]
    }
}
