import SwitchyardCore
import SwitchyardJSON

extension NativeAnswer {
    /// A refusal from the provider as the client gets it: the provider's status, and its
    /// OpenAI-shaped error re-rendered (message, type, param, code kept); a body of another shape
    /// becomes an `upstream_error` quoting its start.
    func gatewayError(provider: String) -> GatewayError {
        if let error = (try? JSONValue.parse(body))?["error"], let message = error["message"]?.stringValue {
            return GatewayError(
                status: status, type: error["type"]?.stringValue ?? "upstream_error", code: error["code"]?.stringValue,
                param: error["param"]?.stringValue, message: message)
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return GatewayError(status: status, type: "upstream_error", code: "upstream_error",
                            message: "Provider \(provider) answered \(status)\(text.isEmpty ? "" : ": " + text)")
    }

    /// The body as a JSON object, or a 502 naming the provider.
    func object(provider: String, what: String) throws(GatewayError) -> JSONObject {
        guard let object = (try? JSONValue.parse(body))?.objectValue else {
            throw GatewayError.upstream(status: 502, message: "Provider \(provider) answered \(what) that is not a JSON object.")
        }
        return object
    }
}
