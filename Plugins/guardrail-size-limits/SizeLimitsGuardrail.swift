import SwitchyardPluginSDK

/// Enforces size limits on a request (request phase only): too many messages, characters or
/// estimated tokens of input are rejected with a 400 that gives the numbers; an output limit is
/// forced onto the request by a patch. See README.md.
///
/// Threading: immutable after init; `inspect` runs on any event loop, concurrently.
final class SizeLimitsGuardrail: Guardrail {
    static let phases: GuardrailPhases = [.request]

    let limits: SizeLimitsConfig

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        limits = try SizeLimitsConfig(config)
    }

    func inspect(_ inspection: Inspection, verdict: Verdict) throws(PluginError) -> InspectOutcome {
        let body: JSONValue
        do { body = try JSONValue.parse(inspection.json) } catch { throw .invalid("the request is not valid JSON: \(error)") }
        if let rejection = rejection(InputSize(request: body)) {
            verdict.reject(status: 400, message: rejection.message, code: rejection.code)
            return .complete
        }
        if let limit = limits.maxOutputTokens, body["messages"] != nil, let operations = OutputTokenCap.operations(for: body, limit: limit) {
            verdict.patch(operations)
        }
        return .complete
    }

    /// The first limit the input breaks, cheapest measure first.
    private func rejection(_ size: InputSize) -> (message: String, code: String)? {
        if let limit = limits.maxMessages, size.messages > limit {
            return ("the request has \(grouped(size.messages)) messages; this route allows \(grouped(limit))", "request_too_large")
        }
        if let limit = limits.maxInputCharacters, size.characters > limit {
            return ("the request has \(grouped(size.characters)) characters of input; this route allows \(grouped(limit))", "request_too_large")
        }
        if let limit = limits.maxInputTokens, size.estimatedTokens > limit {
            return ("the request has about \(grouped(size.estimatedTokens)) tokens of input (estimated); this route allows \(grouped(limit))",
                    "context_length_exceeded")
        }
        return nil
    }
}

/// 14210 → "14,210".
func grouped(_ number: Int) -> String {
    let digits = Array(String(number.magnitude))
    var text = number < 0 ? "-" : ""
    for (index, digit) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { text.append(",") }
        text.append(digit)
    }
    return text
}
