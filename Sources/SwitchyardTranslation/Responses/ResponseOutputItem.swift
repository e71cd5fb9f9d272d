import SwitchyardJSON

/// One content part of a message output item.
struct ContentPart: Equatable, Sendable {
    enum Kind: Sendable { case outputText, refusal }
    var kind: Kind
    var text: String

    var json: JSONValue {
        switch kind {
        case .outputText: ["type": "output_text", "annotations": [], "logprobs": [], "text": .string(text)]
        case .refusal: ["type": "refusal", "refusal": .string(text)]
        }
    }
}

/// One item of a response's `output`, as built by the whole path from a completion or by the
/// stream translator delta by delta; both render it here, so their objects agree.
struct ResponseOutputItem: Equatable, Sendable {
    enum Kind: Sendable { case reasoning, message, functionCall }
    let kind: Kind
    let id: String
    /// "in_progress" until the item is done; then "completed", or "incomplete" for the last
    /// item of a response cut short. Reasoning items carry no status.
    var status = "in_progress"
    var reasoning = ""
    var signature: String?
    var parts: [ContentPart] = []
    var callID = ""
    var name = ""
    var arguments = ""

    /// Ids are derived from the response id and the item's place in `output`, so the same
    /// completion always yields the same ids (`rs_…`, `msg_…`, `fc_…`).
    init(kind: Kind, responseID: String, outputIndex: Int) {
        self.kind = kind
        let prefix = switch kind {
        case .reasoning: "rs_"
        case .message: "msg_"
        case .functionCall: "fc_"
        }
        id = prefix + responseID.dropFirst("resp_".count) + "_\(outputIndex)"
    }

    /// The item object. Reasoning text is rendered as one summary part (the canonical form's
    /// reasoning is what a client may show, as a summary is) and its signature as
    /// `encrypted_content`, so a later request can send the reasoning back.
    var json: JSONValue {
        switch kind {
        case .reasoning:
            var item: JSONObject = JSONObject([("id", .string(id)), ("type", "reasoning")])
            item["summary"] = reasoning.isEmpty ? [] : [["type": "summary_text", "text": .string(reasoning)]]
            if let signature { item["encrypted_content"] = .string(signature) }
            return .object(item)
        case .message:
            return [
                "id": .string(id), "type": "message", "status": .string(status), "role": "assistant",
                "content": .array(parts.map(\.json)),
            ]
        case .functionCall:
            return [
                "id": .string(id), "type": "function_call", "status": .string(status), "arguments": .string(arguments),
                "call_id": .string(callID), "name": .string(name),
            ]
        }
    }
}
