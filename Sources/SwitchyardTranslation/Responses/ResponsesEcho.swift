import SwitchyardJSON

/// The request fields a Responses `response` object repeats back ("echoes"), each already
/// defaulted as the real API reports it when the client left it out. Built once from the
/// request; the whole and stream paths render the same echo, so their final objects agree.
public struct ResponsesEcho: Sendable, Equatable {
    var instructions: JSONValue = .null
    var maxOutputTokens: JSONValue = .null
    var parallelToolCalls: JSONValue = true
    var previousResponseID: JSONValue = .null
    var reasoning: JSONValue = ["effort": nil, "summary": nil]
    var store: JSONValue = true
    /// Echoed as the client sent them, or null: the provider's defaults are not knowable here.
    var temperature: JSONValue = .null
    var topP: JSONValue = .null
    var text: JSONValue = ["format": ["type": "text"]]
    var toolChoice: JSONValue = "auto"
    var tools: JSONValue = []
    var user: JSONValue = .null
    var metadata: JSONValue = .object(JSONObject())

    init() {}
}
