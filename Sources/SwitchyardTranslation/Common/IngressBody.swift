import SwitchyardJSON

/// Parsing a client's request body, with JSON errors turned into a 400 in the ingress's shape.
public enum IngressBody {
    /// Parses the body as one JSON value; a malformed body is a 400 that says where it broke.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(TranslationError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw .invalidRequest("request body is not valid JSON: \(error)")
        }
    }

    public static func parse(_ bytes: [UInt8]) throws(TranslationError) -> JSONValue {
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw .invalidRequest("request body is not valid JSON: \(error)")
        }
    }
}

/// The usage options every translated stream sends: the host needs usage to produce the
/// client's final usage event (Anthropic `message_delta`, Responses `response.completed`), and a
/// canonical provider only sends the usage chunk when asked (docs/canonical.md).
let includeUsageOption: JSONValue = ["include_usage": true]
