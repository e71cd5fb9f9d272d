import SwitchyardPluginSDK

/// Puts a configured system message into every chat request (request phase only), by JSON
/// Patch. Which models and routes it applies to is the YAML entry's scope, not this plugin's.
/// Requests without `messages` (embeddings) pass unchanged. See README.md.
///
/// Threading: immutable after init; `inspect` runs on any event loop, concurrently.
final class SystemPromptGuardrail: Guardrail {
    static let phases: GuardrailPhases = [.request]

    let config: SystemPromptConfig

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try SystemPromptConfig(config)
    }

    func inspect(_ inspection: Inspection, verdict: Verdict) throws(PluginError) -> InspectOutcome {
        let body: JSONValue
        do { body = try JSONValue.parse(inspection.json) } catch { throw .invalid("the request is not valid JSON: \(error)") }
        if let messages = body["messages"]?.arrayValue,
           let operations = SystemPromptPatch.operations(messages: messages, mode: config.mode, text: config.text) {
            verdict.patch(operations)
        }
        return .complete
    }
}
