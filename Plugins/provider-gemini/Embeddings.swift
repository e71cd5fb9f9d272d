import SwitchyardPluginSDK

/// OpenAI embeddings ⇄ Gemini `embedContent` / `batchEmbedContents`.
///
/// One string → `:embedContent`; a list of strings → `:batchEmbedContents`, one request per
/// string, answers in input order. Token-id inputs are rejected: Gemini embeds text only.
/// Gemini reports no token counts for embeddings, so usage is 0/0 rather than a guess.
enum Embeddings {
    static let fields: Set<String> = ["model", "input", "dimensions", "encoding_format", "user"]

    struct Request {
        let body: JSONValue
        let method: String
    }

    static func request(_ body: JSONObject, model: String) throws(PluginError) -> Request {
        for key in body.keys where !fields.contains(key) {
            throw Rejection.unsupported(key, "this embeddings field has no Gemini equivalent")
        }
        switch body["encoding_format"]?.stringValue {
        case nil, "float", "base64": break
        case let other: throw Rejection.invalid("encoding_format", "must be float or base64 (got \"\(other ?? "")\")")
        }
        var dimensions: JSONValue?
        if let value = body["dimensions"], !value.isNull {
            guard let count = value.intValue, count > 0 else { throw Rejection.invalid("dimensions", "must be a positive integer") }
            dimensions = .number(count)
        }
        func embedRequest(_ text: String, named: Bool) -> JSONValue {
            var request = JSONObject()
            if named { request["model"] = .string("models/" + model) }
            request["content"] = ["parts": [["text": .string(text)]]]
            if let dimensions { request["outputDimensionality"] = dimensions }
            return .object(request)
        }
        guard let input = body["input"] else { throw Rejection.invalid("input", "is required") }
        if let text = input.stringValue {
            return Request(body: embedRequest(text, named: false), method: "embedContent")
        }
        guard let list = input.arrayValue, !list.isEmpty else { throw Rejection.invalid("input", "must be a string or a non-empty array of strings") }
        var requests: [JSONValue] = []
        for item in list {
            guard let text = item.stringValue else {
                if item.intValue != nil || item.arrayValue != nil {
                    throw Rejection.unsupported("input", "token-id arrays (Gemini embeds text only)")
                }
                throw Rejection.invalid("input", "must be a string or an array of strings")
            }
            requests.append(embedRequest(text, named: true))
        }
        return Request(body: ["requests": .array(requests)], method: "batchEmbedContents")
    }

    /// `{"embedding":{"values":[…]}}` or `{"embeddings":[{"values":[…]},…]}` → an OpenAI list.
    static func write(_ response: JSONValue, facts: CallFacts, model: String, _ out: Sink) throws(PluginError) {
        let vectors: [JSONValue]
        if let single = response["embedding"] {
            vectors = [single]
        } else if let batch = response["embeddings"]?.arrayValue {
            vectors = batch
        } else {
            throw PluginError(SY_E_UPSTREAM, "gemini sent an embeddings response without embedding(s)", httpStatus: 502)
        }
        var data: [JSONValue] = []
        for (index, vector) in vectors.enumerated() {
            guard let values = vector["values"]?.arrayValue else {
                throw PluginError(SY_E_UPSTREAM, "gemini sent an embedding without values", httpStatus: 502)
            }
            data.append(["object": "embedding", "index": .number(index), "embedding": try encode(values, facts)])
        }
        let usage: JSONValue = ["prompt_tokens": 0, "total_tokens": 0]
        let list: JSONValue = ["object": "list", "data": .array(data), "model": .string(model), "usage": usage]
        out.json(list.serialized())
        Usage.emit(usage, out)
    }

    /// Floats stay as Gemini wrote them (no precision lost); base64 packs them as float32.
    private static func encode(_ values: [JSONValue], _ facts: CallFacts) throws(PluginError) -> JSONValue {
        guard facts.base64Embeddings else { return .array(values) }
        var floats: [Float] = []
        floats.reserveCapacity(values.count)
        for value in values {
            guard case .number(let text) = value, let number = Float(text) else { throw PluginError(SY_E_UPSTREAM, "gemini sent a non-numeric embedding value", httpStatus: 502) }
            floats.append(number)
        }
        return .string(Base64.float32LittleEndian(floats))
    }
}
