import SwitchyardJSON

/// Why a translation failed, with the HTTP status the client should see. Two kinds exist: the
/// client sent something the canonical form cannot carry (400, `invalid_request_error`, the
/// message names the field), or the provider's canonical output broke the contract (502,
/// `api_error`). Each ingress renders it in its own error shape.
public struct TranslationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status for the client: 400 or 502.
    public let status: Int
    /// The OpenAI error type (`invalid_request_error` or `api_error`).
    public let type: String
    public let message: String
    /// The offending field's path (`messages[1].content[0].source.type`), when one is to blame.
    public let param: String?

    private init(status: Int, type: String, message: String, param: String?) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
    }

    static func invalidRequest(_ message: String, param: String? = nil) -> TranslationError {
        TranslationError(status: 400, type: "invalid_request_error", message: message, param: param)
    }

    static func upstream(_ message: String) -> TranslationError {
        TranslationError(status: 502, type: "api_error", message: message, param: nil)
    }

    /// `field: message`, the form every rejection takes, so the client sees which field to fix.
    static func field(_ path: String, _ message: String) -> TranslationError {
        invalidRequest("\(path): \(message)", param: path)
    }

    /// A field a translated route cannot carry: the provider speaks the canonical chat format.
    static func unsupported(_ path: String, _ what: String) -> TranslationError {
        field(path, "\(what) is not supported through a translated route")
    }

    public var description: String { message }

    /// `{"error":{"message","type","param","code"}}`: the OpenAI shape, which the Responses API
    /// also uses for HTTP errors.
    public var openAIBody: JSONValue {
        ["error": ["message": .string(message), "type": .string(type), "param": param.map(JSONValue.string) ?? .null, "code": .null]]
    }
}
