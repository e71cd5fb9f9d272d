import CSwitchyardPlugin
import SwitchyardJSON

/// Runs the `redact_with` guardrail over an audited request's bodies (decision 0026). The bodies
/// are the client's bytes (any route's JSON, or a stream's SSE), not a canonical document, so
/// they go in as the texts of one: `{"messages":[{"role":"user","content":<request>},
/// {"role":"assistant","content":<response>}]}`, inspected in the request phase, where the PII
/// guardrail redacts every message's text. Its patch gives the redacted texts back. One pass per
/// audited request, through the same `GuardrailPass` requests use (on the loop, or the worker
/// pool for a blocking plugin; the guardrail's deadline applies), with a plugin call of its own.
///
/// Only an `allow` (nothing found) or a `patch` lets the entry be stored; anything else
/// (an error, even under fail_open; a timeout; a rejection) fails the redaction.
///
/// Threading: on the request's loop; `completion` runs there once.
enum AuditRedaction {
    enum Outcome {
        case redacted(request: [UInt8], response: [UInt8])
        case failed(String)
    }

    static func run(_ guardrail: ConfiguredGuardrail, request: [UInt8], response: [UInt8], requestID: String, context: LoopContext, log: GatewayLog,
                    completion: @escaping (Outcome) -> Void) {
        let document = wrap(request: request, response: response)
        let call = NativeCall(requestID: requestID, endpoint: "audit", mode: "audit", context: context)
        let record = GuardrailRecord()
        let pass = GuardrailPass(
            groups: [[guardrail]], phase: SY_PHASE_REQUEST, document: document,
            call: call.description(SY_OP_CHAT_COMPLETIONS, request: document), loop: context.upstream.loop, watch: context.hookWatch,
            record: record, log: log)
        pass.start { outcome in
            withExtendedLifetime(pass) {}
            if record.inspected(guardrail.name) { guardrail.plugin.callEnded(call.call.handle) }
            call.end()
            switch outcome {
            case .refused(_, let failure):
                completion(.failed(failure))
            case .allowed(nil):
                let verdict = record.verdict(of: guardrail.name, phase: SY_PHASE_REQUEST)
                completion(verdict == .allow || verdict == .patch ? .redacted(request: request, response: response)
                           : .failed("the guardrail gave no verdict (\(verdict?.name ?? "none"))"))
            case .allowed(let patched?):
                guard let texts = unwrap(patched) else { return completion(.failed("the guardrail's patch left no message texts")) }
                completion(.redacted(request: texts.request, response: texts.response))
            }
        }
    }

    static func wrap(request: [UInt8], response: [UInt8]) -> [UInt8] {
        JSONValue.object(JSONObject([
            ("model", "audit"),
            ("messages", .array([
                .object(JSONObject([("role", "user"), ("content", .string(String(decoding: request, as: UTF8.self)))])),
                .object(JSONObject([("role", "assistant"), ("content", .string(String(decoding: response, as: UTF8.self)))])),
            ])),
        ])).serialized()
    }

    static func unwrap(_ document: [UInt8]) -> (request: [UInt8], response: [UInt8])? {
        guard let value = try? JSONValue.parse(document), let messages = value["messages"]?.arrayValue, messages.count == 2,
              let request = messages[0]["content"]?.stringValue, let response = messages[1]["content"]?.stringValue else { return nil }
        return (Array(request.utf8), Array(response.utf8))
    }
}
