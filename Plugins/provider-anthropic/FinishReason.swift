/// Anthropic `stop_reason` → canonical `finish_reason`.
enum FinishReason {
    static func canonical(_ stopReason: String?) -> StaticString {
        switch stopReason {
        case "max_tokens", "model_context_window_exceeded": "length"
        case "tool_use": "tool_calls"
        case "refusal": "content_filter"
        // end_turn, stop_sequence, pause_turn (a server tool paused a long turn), and null.
        default: "stop"
        }
    }
}
