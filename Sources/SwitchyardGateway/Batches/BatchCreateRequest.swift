import SwitchyardCore
import SwitchyardJSON

/// A client's `POST /v1/batches` body, checked: OpenAI's fields, with `input_file_id` a file this
/// gateway manages. Everything else the client sent (metadata, output_expires_after …) goes
/// upstream as it is.
struct BatchCreateRequest {
    let body: JSONObject
    let inputFileID: String
    let endpoint: String

    /// The routes a batch line may target here (what the preparers and guardrails can read).
    static let endpoints = ["/v1/chat/completions", "/v1/embeddings"]

    init(_ bytes: [UInt8]) throws(GatewayError) {
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(bytes) } catch {
            throw GatewayError.invalidRequest("The request body is not valid JSON: \(error.message).", code: "invalid_json")
        }
        guard let body = parsed.objectValue else { throw GatewayError.invalidRequest("The request body must be a JSON object.") }
        guard let input = body["input_file_id"]?.stringValue, !input.isEmpty else {
            throw GatewayError.invalidRequest("Missing required parameter: 'input_file_id'.", code: "missing_required_parameter", param: "input_file_id")
        }
        guard let endpoint = body["endpoint"]?.stringValue else {
            throw GatewayError.invalidRequest("Missing required parameter: 'endpoint'.", code: "missing_required_parameter", param: "endpoint")
        }
        guard Self.endpoints.contains(endpoint) else {
            throw GatewayError.invalidRequest(
                "The endpoint '\(endpoint)' is not supported for batches here (supported: \(Self.endpoints.joined(separator: ", "))).",
                code: "invalid_value", param: "endpoint")
        }
        guard body["completion_window"]?.stringValue != nil else {
            throw GatewayError.invalidRequest("Missing required parameter: 'completion_window'.", code: "missing_required_parameter", param: "completion_window")
        }
        if let metadata = body["metadata"], !metadata.isNull, metadata.objectValue == nil {
            throw GatewayError.invalidRequest("'metadata' must be an object.", code: "invalid_type", param: "metadata")
        }
        self.body = body
        inputFileID = input
        self.endpoint = endpoint
    }

    /// The body for the provider: the same, naming the provider's own input file.
    func upstreamBody(inputFile upstreamID: String) -> [UInt8] {
        var body = body
        body["input_file_id"] = .string(upstreamID)
        return JSONValue.object(body).serialized()
    }
}
