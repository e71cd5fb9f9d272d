import SwitchyardPluginSDK

/// One line of a Message Batch's results → one OpenAI batch output line
/// `{"id","custom_id","response":{"status_code","request_id","body"}|null,"error":{"code","message"}|null}`:
///  - succeeded: status 200, the message's id as request_id, the canonical chat.completion this
///    provider's response translation makes of the message;
///  - errored: the status of the Anthropic error type, Anthropic's request id, an OpenAI error body;
///  - canceled / expired: no response, error code `batch_cancelled` / `batch_expired`.
/// The line id is `batch_req_` + custom_id: stable, so the same results give the same lines.
enum MessageBatchResults {
    static func openAILine(_ line: UnsafeRawBufferPointer, created: Int) throws(PluginError) -> [UInt8] {
        guard let entry = try? JSONValue.parse(line), entry.objectValue != nil else { throw notAResult("it is not a JSON object") }
        guard let customID = entry["custom_id"]?.stringValue else { throw notAResult("it has no custom_id") }
        guard let result = entry["result"], let type = result["type"]?.stringValue else { throw notAResult("it has no result type") }
        let response: JSONValue
        let error: JSONValue
        switch type {
        case "succeeded":
            guard let message = result["message"] else { throw notAResult("a succeeded result has no message") }
            let completion = try ChatResponseTranslation.chatCompletion(message, created: created).body
            let body: JSONValue
            do { body = try JSONValue.parse(completion) } catch { throw notAResult("its message did not translate") }
            response = .object(JSONObject([("status_code", 200), ("request_id", message["id"] ?? nil), ("body", body)]))
            error = nil
        case "errored":
            // Anthropic's ErrorResponse {"type":"error","error":{type,message},"request_id"}; an
            // older form put {type,message} directly under "error".
            let wrapper = result["error"]
            let detail = wrapper?["error"]?.objectValue != nil ? wrapper?["error"] : wrapper
            let errorType = detail?["type"]?.stringValue ?? "api_error"
            let message = detail?["message"]?.stringValue ?? "the request failed at Anthropic (\(errorType))"
            let body = UpstreamError.openAIBody(message: message, type: errorType, code: errorType)
            response = .object(JSONObject([
                ("status_code", .number(String(status(ofErrorType: errorType)))), ("request_id", wrapper?["request_id"] ?? nil),
                ("body", (try? JSONValue.parse(body)) ?? nil),
            ]))
            error = nil
        case "canceled":
            response = nil
            error = ["code": "batch_cancelled", "message": "The batch was cancelled before this request ran."]
        case "expired":
            response = nil
            error = ["code": "batch_expired", "message": "The batch expired before this request ran."]
        default:
            throw notAResult("its result type is \"\(type)\"")
        }
        return JSONValue.object(JSONObject([
            ("id", .string("batch_req_" + customID)), ("custom_id", .string(customID)), ("response", response), ("error", error),
        ])).serialized()
    }

    /// The HTTP status Anthropic answers each error type with (its errors page).
    static func status(ofErrorType type: String) -> Int {
        switch type {
        case "invalid_request_error": 400
        case "authentication_error": 401
        case "billing_error": 402
        case "permission_error": 403
        case "not_found_error": 404
        case "request_too_large": 413
        case "rate_limit_error": 429
        case "timeout_error": 504
        case "overloaded_error": 529
        default: 500  // api_error, and types added later
        }
    }

    private static func notAResult(_ why: String) -> PluginError {
        PluginError(SY_E_UPSTREAM, "anthropic sent a batch result line the gateway cannot read: \(why)", httpStatus: 502)
    }
}
