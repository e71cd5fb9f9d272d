import SwitchyardPluginSDK

/// Why the judge gave no usable decision (logged; the entry's on_error decides what follows).
struct JudgeFailure: Error, Equatable {
    let reason: String
}

/// Reads the gateway's answer to the judge request: a chat.completion whose first choice's
/// `message.content` holds the decision (JudgeDecision).
enum JudgeReply {
    static func decision(_ response: OutboundResponse, model: String) -> Result<JudgeDecision, JudgeFailure> {
        guard response.result == SY_OK else {
            return .failure(JudgeFailure(reason: "the request to judge model \"\(model)\" failed (\(statusName(response.result)))"))
        }
        let body = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            let detail = body?["error"]?["message"]?.stringValue ?? excerpt(String(decoding: response.body, as: UTF8.self))
            return .failure(JudgeFailure(reason: "judge model \"\(model)\" answered HTTP \(response.status): \(detail)"))
        }
        guard let content = body?["choices"]?[0]?["message"]?["content"]?.stringValue else {
            return .failure(JudgeFailure(reason: "judge model \"\(model)\" answered without text in choices[0].message.content"))
        }
        guard let decision = JudgeDecision(answer: content) else {
            let form = #"neither {"allow": true|false} nor ALLOW/BLOCK"#
            return .failure(JudgeFailure(reason: "judge model \"\(model)\" gave an answer that is \(form): \"\(excerpt(content))\""))
        }
        return .success(decision)
    }

    /// The start of a text for a log line.
    static func excerpt(_ text: String, limit: Int = 200) -> String {
        text.unicodeScalars.count <= limit ? text : String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit))) + "…"
    }

    static func statusName(_ status: sy_status) -> String {
        switch status {
        case SY_E_TIMEOUT: "SY_E_TIMEOUT: no answer within timeout_ms"
        case SY_E_CANCELLED: "SY_E_CANCELLED: the client went away"
        case SY_E_TOO_SMALL: "SY_E_TOO_SMALL: the answer was larger than \(JudgeRequest.maxResponseBytes) bytes"
        case SY_E_UPSTREAM: "SY_E_UPSTREAM"
        case SY_E_UNSUPPORTED: "SY_E_UNSUPPORTED: the host cannot send it"
        case SY_E_INVALID: "SY_E_INVALID: the host refused the request"
        default: "status \(status)"
        }
    }
}
