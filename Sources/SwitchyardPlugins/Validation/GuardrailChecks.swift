import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// guardrail.*: `inspect` in every phase the table declares, over fixture documents; a verdict
/// it writes must be one the host can use; SY_PAUSE must be resumed within the hook timeout;
/// `call_end` after every call.
enum GuardrailChecks {
    static let all = [
        ValidationCheck("guardrail.inspect") { context in with(context.requireGuardrail()) { inspectPhases(context, $0) } },
    ]

    static func inspectPhases(_ context: ValidationContext, _ guardrail: GuardrailPlugin) -> ValidationVerdict {
        for phase in [SY_PHASE_REQUEST, SY_PHASE_RESPONSE, SY_PHASE_CHUNK] where guardrail.phases & phase != 0 {
            let document = Array(RequestFixtures.guardrailDocument(phase: phase).utf8)
            if let problem = inspect(context, guardrail, phase: phase, document, id: "guardrail-\(phase)") {
                return .failed("\(phaseName(phase)) phase: \(problem)")
            }
        }
        return .passed
    }

    static func phaseName(_ phase: UInt32) -> String {
        switch phase {
        case SY_PHASE_REQUEST: "request"
        case SY_PHASE_RESPONSE: "response"
        default: "chunk"
        }
    }

    /// One inspect and its call_end; nil when all went well, else what went wrong. An error
    /// status is fine (the entry's on_error decides); a crash, an unusable verdict or a pause
    /// never resumed is not.
    static func inspect(_ context: ValidationContext, _ guardrail: GuardrailPlugin, phase: UInt32, _ document: [UInt8], id: String) -> String? {
        let request = phase == SY_PHASE_REQUEST ? document : RequestFixtures.chatBytes(stream: false)
        return ValidationCallSource.withCall(id, stream: phase == SY_PHASE_CHUNK) { call in
            defer { guardrail.callEnded(call.handle) }
            let target = VerdictCollector()
            let description = CallDescription(operation: SY_OP_CHAT_COMPLETIONS, stream: phase == SY_PHASE_CHUNK, attempt: 0,
                                              requestID: id, upstreamModel: RequestFixtures.model, request: request, handle: call.handle)
            let outcome = document.withUnsafeBytes { guardrail.inspect(description, phase: phase, json: $0, target: target) }
            if case .paused(let paused) = outcome {
                defer { paused.end() }
                let deadline = monotonicNanoseconds() + UInt64(context.hookTimeoutSeconds * 1e9)
                while !target.resumed, monotonicNanoseconds() < deadline { usleep(1000) }
                if !target.resumed { return "inspect returned SY_PAUSE and did not resume within \(context.hookTimeoutSeconds) s" }
            }
            return target.problem
        }
    }
}

/// Takes a guardrail's verdict and says what the host could not use.
final class VerdictCollector: PluginVerdictTarget, @unchecked Sendable {  // state under `lock`
    private let lock = Mutex<(problem: String?, resumed: Bool)>((nil, false))

    var problem: String? { lock.withLock { $0.problem } }
    var resumed: Bool { lock.withLock { $0.resumed } }

    private func note(_ problem: String) -> sy_status {
        lock.withLock { if $0.problem == nil { $0.problem = problem } }
        return SY_E_INVALID
    }

    func pluginPatched(format: UInt32, document: UnsafeRawBufferPointer) -> sy_status {
        switch format {
        case SY_PATCH_REPLACE:
            if let error = JSONValidation.objectError(document) { return note("verdict_patch(REPLACE) with a document that is not a JSON object: \(error)") }
        case SY_PATCH_JSON_PATCH:
            guard let parsed = try? JSONValue.parse(Array(document)), parsed.arrayValue != nil else {
                return note("verdict_patch(JSON_PATCH) with a document that is not a JSON array of operations")
            }
        default:
            return note("verdict_patch with an unknown format \(format)")
        }
        return SY_OK
    }

    func pluginRejected(httpStatus: UInt32, body: UnsafeRawBufferPointer) -> sy_status {
        if httpStatus != 0 && !(400...599).contains(httpStatus) { return note("verdict_reject with HTTP status \(httpStatus) (0 or 400-599)") }
        if let problem = PluginOutputCheck.errorProblem(body) { return note("verdict_reject with a body that \(problem)") }
        return SY_OK
    }

    func pluginHeld(bytes: Int) -> sy_status { SY_OK }

    func pluginResumed(_ status: sy_status) {
        lock.withLock { $0.resumed = true }
    }
}

extension ValidationContext {
    func requireGuardrail() -> Result<GuardrailPlugin, ValidationSkip> {
        requireInterface(SY_IFACE_GUARDRAIL, kind: "guardrail").flatMap { instance, table in
            GuardrailPlugin(name: instance.name, instance: instance.pluginInstance, hostInstance: instance.host.handle, table: table)
                .map { .success($0) } ?? .failure(ValidationSkip("the guardrail table is unusable (see manifest.interfaces)"))
        }
    }
}
