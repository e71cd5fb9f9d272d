import CSwitchyardPlugin
import SwitchyardCore
import SwitchyardJSON
import SwitchyardPlugins
import SwitchyardPosix

/// How a guardrail pass ended.
enum GuardrailOutcome {
    /// Every guardrail allowed (or failed open): the document after their patches; nil when
    /// none patched (the caller goes on with what it had, checked already).
    case allowed([UInt8]?)
    /// A guardrail rejected, or failed with on_error fail_closed: the client's error, and the
    /// log's words.
    case refused(GatewayError, failure: String)
}

/// Runs the request or response phase of a request's guardrails over one document: group after
/// group in ascending `order`; within a group every guardrail inspects the same document and
/// the pass waits for all of them (pauses included) before it combines their verdicts in config
/// order: a failure under fail_closed or a rejection ends the pass, patches are applied in turn.
///
/// Threading: loop-confined. A paused guardrail's resume comes from any thread and hops here
/// through the loop; a deadline timer ends a pause that takes too long (the verdict is ended,
/// so a late resume gets SY_E_HANDLE). `cancel()` (the client left) ends every pause.
final class GuardrailPass: InspectionOwner {
    private let groups: [[ConfiguredGuardrail]]
    private let phase: UInt32
    private let call: CallDescription
    private let loop: EventLoop
    private let record: GuardrailRecord
    private let log: GatewayLog
    private let watch: HookWatch
    private var document: [UInt8]
    private var patched = false
    private var groupIndex = 0
    private var running: [RunningInspection] = []
    private var completion: ((GuardrailOutcome) -> Void)?

    init(groups: [[ConfiguredGuardrail]], phase: UInt32, document: [UInt8], call: CallDescription,
         loop: EventLoop, watch: HookWatch, record: GuardrailRecord, log: GatewayLog) {
        self.groups = groups
        self.watch = watch
        self.phase = phase
        self.document = document
        self.call = call
        self.loop = loop
        self.record = record
        self.log = log
    }

    /// Runs the pass; `completion` is called once, on the loop (inline when no guardrail
    /// paused), unless the pass is cancelled first.
    func start(_ completion: @escaping (GuardrailOutcome) -> Void) {
        self.completion = completion
        startGroup()
    }

    /// Ends the pass without an outcome: paused verdicts end, timers stop. Idempotent.
    func cancel() {
        completion = nil
        for inspection in running { inspection.stop() }
        running = []
    }

    private func startGroup() {
        guard groupIndex < groups.count else { return finish(.allowed(patched ? document : nil)) }
        running = groups[groupIndex].map { RunningInspection(guardrail: $0, phase: phase, loop: loop, owner: self) }
        for inspection in running {
            record.noteStarted(inspection.guardrail.name)
            inspection.run(call: call, document: document, watch: watch, log: log)
        }
        combineIfSettled()
    }

    func inspectionResumed(_ inspection: RunningInspection, _ status: sy_status) {
        guard completion != nil, inspection.resumed(status) else { return }
        combineIfSettled()
    }

    func inspectionTimedOut(_ inspection: RunningInspection) {
        guard completion != nil else { return }
        combineIfSettled()
    }

    /// Once every guardrail of the group has settled: their verdicts in config order.
    private func combineIfSettled() {
        guard completion != nil, running.allSatisfy({ $0.result != nil }) else { return }
        // The first decisive verdict in config order (a rejection, or a failure under
        // fail_closed) ends the pass; every member's verdict is recorded all the same.
        var refusal: GuardrailOutcome?
        var next = document
        for inspection in running {
            let guardrail = inspection.guardrail
            var problem: (String, timedOut: Bool)?
            switch inspection.result! {
            case .timedOut:
                problem = ("did not decide within its deadline of \(UpstreamLimits.text(guardrail.deadline))", true)
            case .failed(let message):
                problem = (message, false)
            case .done:
                if let rejected = inspection.rejection {
                    record.note(guardrail.name, phase: phase, .reject)
                    if refusal == nil {
                        refusal = .refused(Self.rejectionError(guardrail.name, status: rejected.status, body: rejected.body),
                                           failure: "rejected by guardrail \(guardrail.name)")
                    }
                    continue
                }
                if let patch = inspection.patch {
                    do throws(GuardrailPatchError) {
                        next = try patch.apply(to: next)
                        patched = true
                        record.note(guardrail.name, phase: phase, .patch)
                    } catch {
                        problem = ("its patch does not apply: \(error.message)", false)
                    }
                } else {
                    record.note(guardrail.name, phase: phase, .allow)
                }
            }
            guard let (message, timedOut) = problem else { continue }
            if guardrail.failOpen {
                record.note(guardrail.name, phase: phase, .failedOpen)
                log.warn("guardrail failed, request allowed (on_error: fail_open)", requestID: call.requestID, fields: [
                    ("guardrail", guardrail.name), ("phase", GuardrailRecord.phaseName(phase)), ("error", message),
                ])
                continue
            }
            record.note(guardrail.name, phase: phase, timedOut ? .timeout : .failed)
            if refusal == nil {
                let error = GatewayError(
                    status: timedOut ? 504 : 503, type: "guardrail_error", code: timedOut ? "guardrail_timeout" : "guardrail_failed",
                    message: "Guardrail '\(guardrail.name)' \(timedOut ? "did not decide in time" : "failed"); the request was not processed (on_error: fail_closed).")
                refusal = .refused(error, failure: "guardrail \(guardrail.name) \(message)")
            }
        }
        if let refusal { return finish(refusal) }
        document = next
        groupIndex += 1
        running = []
        startGroup()
    }

    private func finish(_ outcome: GuardrailOutcome) {
        guard let completion else { return }
        self.completion = nil
        for inspection in running { inspection.stop() }
        running = []
        completion(outcome)
    }

    /// The plugin's `{"error":{...}}` as the client gets it: its status, type and code, and
    /// its message after the guardrail's name.
    static func rejectionError(_ name: String, status: Int, body: [UInt8]) -> GatewayError {
        let error = (try? JSONValue.parse(body))?["error"]
        let message = error?["message"]?.stringValue ?? "The request was rejected."
        return GatewayError(
            status: status, type: error?["type"]?.stringValue ?? "invalid_request_error",
            code: error?["code"]?.stringValue ?? "guardrail_rejected", param: error?["param"]?.stringValue,
            message: "Rejected by guardrail '\(name)': \(message)")
    }
}
