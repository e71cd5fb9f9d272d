import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix

/// What runs an inspection and hears how a paused one ends: a request/response pass or a
/// stream's chunk phase. Called on the loop.
protocol InspectionOwner: AnyObject {
    func inspectionResumed(_ inspection: RunningInspection, _ status: sy_status)
    func inspectionTimedOut(_ inspection: RunningInspection)
}

/// One guardrail inspecting one document, and the host's side of its `sy_verdict`: what the
/// plugin decided through `host->verdict_*`. One object per inspection, nothing else allocated
/// unless it pauses.
///
/// Threading: loop-confined, except the `PluginVerdictTarget` methods, which run on the plugin's
/// thread, serialized by the verdict registry's lock, while the verdict is valid. The loop reads
/// `patch`, `rejection` and `held` only after the verdict has ended (inspect returned, or the
/// resume hop arrived), which orders those writes before it. `pluginResumed` only hops.
final class RunningInspection: PluginVerdictTarget, @unchecked Sendable {
    enum Patch {
        case replace([UInt8])
        case jsonPatch([UInt8])
    }

    enum Result {
        case done
        case failed(String)
        case timedOut
    }

    let guardrail: ConfiguredGuardrail
    let phase: UInt32
    /// Chunk phase: whether the text may be held back now (not when it must go out).
    let mayHold: Bool
    private let loop: EventLoop
    weak var owner: (any InspectionOwner)?

    // Written by the plugin's verdict calls.
    private(set) var patch: Patch?
    private(set) var rejection: (status: Int, body: [UInt8])?
    private(set) var held = 0

    // The loop's.
    var result: Result?
    private var paused: PausedVerdict?
    private var timer: TimerID?

    init(guardrail: ConfiguredGuardrail, phase: UInt32, mayHold: Bool = false, loop: EventLoop, owner: any InspectionOwner) {
        self.guardrail = guardrail
        self.phase = phase
        self.mayHold = mayHold
        self.loop = loop
        self.owner = owner
    }

    // A pause nobody ended (its pass or stream was dropped) must not stay in the verdict table.
    deinit { paused?.end() }

    var isPaused: Bool { paused != nil && result == nil }

    /// Calls inspect, under the loop's hook watch (one that blocks the loop is reported like a
    /// provider hook). A synchronous answer past the deadline counts as a timeout (its verdict is
    /// not used); a pause arms the deadline timer.
    func run(call: CallDescription, document: [UInt8], watch: HookWatch, log: GatewayLog) {
        let started = monotonicNanoseconds()
        call.pluginCall?.loopHookStarts(deadline: started &+ guardrail.deadline)  // call_deadline_ns
        let mark = watch.enter(.inspect, provider: guardrail.watchTag)
        let outcome = document.withUnsafeBytes { guardrail.plugin.inspect(call, phase: phase, json: $0, target: self) }
        let elapsed = monotonicNanoseconds() &- started
        if watch.exit(mark) {
            log.warn("slow plugin hook returned", requestID: call.requestID, fields: [
                ("plugin", guardrail.name), ("hook", "inspect"), ("elapsed_ms", String(elapsed / 1_000_000)),
                ("outcome", elapsed > guardrail.deadline ? "timeout" : "continued"),
            ])
        }
        switch outcome {
        case .finished(let failure):
            if failure != nil { watch.failed(mark) }
            if elapsed > guardrail.deadline {
                result = .timedOut
            } else {
                result = failure.map { .failed($0.description) } ?? .done
            }
        case .paused(let verdict):
            paused = verdict
            let left = guardrail.deadline > elapsed ? guardrail.deadline - elapsed : 0
            timer = loop.schedule(after: left) { [weak self] in
                guard let self, isPaused else { return }
                timer = nil
                settle(.timedOut)
                owner?.inspectionTimedOut(self)
            }
        }
    }

    /// The resume hop arrived: true when it settled a pause (false for a late or stray one).
    func resumed(_ status: sy_status) -> Bool {
        guard isPaused else { return false }
        settle(status == SY_OK ? .done : .failed("resumed with \(PluginStatus.name(status))"))
        return true
    }

    func settle(_ result: Result) {
        self.result = result
        stop()
    }

    /// Ends a pause (a later resume gets SY_E_HANDLE) and its timer.
    func stop() {
        paused?.end()
        if let timer { loop.cancel(timer) }
        timer = nil
        if result == nil { result = .failed("cancelled") }
    }

    // MARK: PluginVerdictTarget (the plugin's thread)

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

    func pluginResumed(_ status: sy_status) {
        let inspection = WeakReference(self)
        loop.execute {
            guard let inspection = inspection.value else { return }
            inspection.owner?.inspectionResumed(inspection, status)
        }
    }
}

/// A weak reference that may cross threads (only `value` is read there, and only to hop back).
final class WeakReference<Value: AnyObject>: @unchecked Sendable {
    weak var value: Value?
    init(_ value: Value) { self.value = value }
}
