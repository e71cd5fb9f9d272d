import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins

/// What one guardrail decided about one document, as its plugin reports it through
/// `host->verdict_*`: the host's side of a `sy_verdict`.
///
/// Threading: the verdict functions run on the plugin's thread, serialized by the verdict
/// registry's lock, while the verdict is valid; the loop reads the fields only after the verdict
/// has ended (inspect returned, or the resume hop arrived), which orders those writes before it.
/// `pluginResumed` only hops to the loop.
final class InspectionVerdict: PluginVerdictTarget, @unchecked Sendable {
    enum Patch {
        case replace([UInt8])
        case jsonPatch([UInt8])
    }

    let phase: UInt32
    /// Chunk phase: whether the text may be held back now (not when it must go out).
    let mayHold: Bool
    private let onResume: @Sendable (sy_status) -> Void

    private(set) var patch: Patch?
    private(set) var rejection: (status: Int, body: [UInt8])?
    private(set) var held = 0

    init(phase: UInt32, mayHold: Bool = false, onResume: @escaping @Sendable (sy_status) -> Void) {
        self.phase = phase
        self.mayHold = mayHold
        self.onResume = onResume
    }

    func pluginPatched(format: UInt32, document: UnsafeRawBufferPointer) -> sy_status {
        switch format {
        case SY_PATCH_REPLACE:
            guard JSONValidation.isObject(document) else { return SY_E_INVALID }
            patch = .replace(Array(document))
        case SY_PATCH_JSON_PATCH:
            guard (try? JSONValue.parse(document))?.arrayValue != nil else { return SY_E_INVALID }
            patch = .jsonPatch(Array(document))
        default:
            return SY_E_INVALID
        }
        return SY_OK
    }

    func pluginRejected(httpStatus: UInt32, body: UnsafeRawBufferPointer) -> sy_status {
        let status = httpStatus == 0 ? 400 : Int(httpStatus)
        guard (400...599).contains(status), PluginOutputCheck.errorProblem(body) == nil else { return SY_E_INVALID }
        rejection = (status, Array(body))
        return SY_OK
    }

    func pluginHeld(bytes: Int) -> sy_status {
        guard phase == SY_PHASE_CHUNK, mayHold else { return SY_E_UNSUPPORTED }
        held = bytes
        return SY_OK
    }

    func pluginResumed(_ status: sy_status) { onResume(status) }
}
