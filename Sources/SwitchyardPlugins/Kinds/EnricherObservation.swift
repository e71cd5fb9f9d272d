import CSwitchyardPlugin
import SwitchyardPosix

/// One call's observation by one enricher: the plugin's per-call state, from a `begin` that
/// returned SY_OK until `state_free`, which runs exactly once, from `close()` or from `deinit`,
/// whichever comes first (a call cut short, whose `end` never runs, is freed all the same).
///
/// Fail-open: a hook that fails (an error status, a refused report, a hook past the deadline)
/// ends the enricher's part in the call there and then. Its state is freed at once, the failure
/// is returned for the caller to log (its message does not repeat the enricher's name: the
/// caller's log line carries it), and every later hook of the
/// observation is skipped: `response` and `data` return nil, `end` returns `.success(nil)`,
/// without calling the plugin. The bytes of the exchange are never touched either way.
///
/// Order (the header's): data(request)* -> response -> data(response)* -> end, then close. A
/// hook called after `end` or `close` is not passed to the plugin.
///
/// Threading: loop-confined. Every call, `deinit` included, happens on the event loop of the call
/// it observes (the header promises enricher hooks run there); calls never overlap. Not Sendable.
public final class EnricherObservation {
    public let plugin: EnricherPlugin
    private let state: sy_state?
    /// Bounds one hook, in nanoseconds; 0 = none.
    private let deadline: UInt64
    /// Where each hook records its deadline for `call_deadline_ns`; nil outside a request.
    private let call: PluginCall?
    private var stage = Stage.observing

    private enum Stage {
        /// Between begin and end: every hook may run.
        case observing
        /// `end` ran: no hook but state_free.
        case finished
        /// state_free ran.
        case closed
    }

    init(plugin: EnricherPlugin, state: sy_state?, deadline: UInt64, call: PluginCall?) {
        self.plugin = plugin
        self.call = call
        self.state = state
        self.deadline = deadline
    }

    deinit { close() }

    /// True until `end` has run or the enricher has failed or been closed.
    public var isObserving: Bool { stage == .observing }

    /// The response head (`response` hook; nothing to do when the plugin has none).
    public func response(_ head: ExchangeHead) -> PluginFailure? {
        guard stage == .observing, let hook = plugin.responseHook else { return nil }
        var error = freshError()
        let started = hookStarts()
        let status = head.withHead { head in hook(state, head, &error) }
        return finish(status, &error, since: started, hook: "response")
    }

    /// Body bytes of `phase` (SY_PHASE_REQUEST or SY_PHASE_RESPONSE), borrowed for the call.
    /// A phase the plugin does not declare is skipped here, so the caller may pass every chunk.
    ///
    /// Hot path of a passthrough stream: nothing is allocated (the error block lives on the
    /// stack; a failure's message is built only on failure).
    public func data(phase: UInt32, _ chunk: UnsafeRawBufferPointer) -> PluginFailure? {
        guard plugin.phases & phase != 0, stage == .observing else { return nil }
        var error = freshError()
        let started = hookStarts()
        let status = plugin.dataHook(state, phase, chunk.syBytes, &error)
        if status == SY_OK && deadline == 0 { return nil }
        return finish(status, &error, since: started, hook: "data")
    }

    /// The call is over: runs `end` with `outcome` (SY_OK, SY_E_CANCELLED or SY_E_UPSTREAM),
    /// lending it a sink ([hook-thread], valid during this call only) that takes exactly one
    /// SY_OUT_META_JSON, checked as a provider's meta is (`PluginOutputCheck`). Any other kind,
    /// a second write, or a report that fails the check is refused with SY_E_INVALID and fails
    /// the enricher's part in the call (its report is dropped, whatever `end` returns).
    ///
    /// Returns the report's bytes (a copy), nil when the plugin reported nothing. `close()` still
    /// has to run (or `deinit`) to free the state.
    public func end(outcome: sy_status) -> Result<[UInt8]?, PluginFailure> {
        guard stage == .observing else { return .success(nil) }
        stage = .finished
        var report: [UInt8]?
        var refusal: String?
        var check = PluginOutputCheck(stream: false)
        var error = freshError()
        let started = hookStarts()
        let status = withPluginSink({ kind, bytes in
            guard refusal == nil else { return SY_E_INVALID }  // the first refusal ended the report
            if kind != SY_OUT_META_JSON {
                refusal = "end wrote \(Self.kindName(kind)); an enricher reports one SY_OUT_META_JSON"
            } else if report != nil {
                refusal = "end wrote a second SY_OUT_META_JSON; an enricher reports once"
            } else if check.admit(kind: kind, bytes) != SY_OK {
                refusal = "its report was refused: \(check.problem ?? "invalid")"
            } else {
                report = Array(bytes)
                return SY_OK
            }
            return SY_E_INVALID
        }) { sink in plugin.endHook(state, outcome, sink, &error) }
        if let refusal {
            close()
            return .failure(PluginFailure(status: SY_E_INVALID, message: refusal, refusedByHost: true))
        }
        if let failure = finish(status, &error, since: started, hook: "end") { return .failure(failure) }
        return .success(report)
    }

    /// Frees the plugin's state (`state_free`), once; later calls do nothing.
    public func close() {
        guard stage != .closed else { return }
        stage = .closed
        plugin.stateFreeHook(state)
    }

    /// A hook's status and timing as the caller sees it: nil when it succeeded within the
    /// deadline; otherwise the failure, with the state freed.
    private func finish(_ status: sy_status, _ error: inout sy_error, since started: UInt64, hook: StaticString) -> PluginFailure? {
        var failure: PluginFailure?
        if status != SY_OK {
            failure = PluginFailure(status: status, error: &error)
        } else {
            failure = overran(since: started, hook: hook)
        }
        if failure != nil { close() }
        return failure
    }

    /// A hook starts: when (0 without a deadline), also recorded for `call_deadline_ns`.
    @inline(__always)
    private func hookStarts() -> UInt64 {
        guard deadline != 0 else {
            call?.loopHookStarts(deadline: 0)
            return 0
        }
        let started = monotonicNanoseconds()
        call?.loopHookStarts(deadline: started &+ deadline)
        return started
    }

    /// SY_E_TIMEOUT when a hook that started at `started` returned past the deadline.
    func overran(since started: UInt64, hook: StaticString) -> PluginFailure? {
        guard deadline != 0 else { return nil }
        let took = monotonicNanoseconds() &- started
        guard took > deadline else { return nil }
        return PluginFailure(
            status: SY_E_TIMEOUT,
            message: "\(hook) took \(Self.milliseconds(took)), past its deadline of \(Self.milliseconds(deadline))")
    }

    static func milliseconds(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10) ms"
    }

    static func kindName(_ kind: UInt32) -> String {
        switch kind {
        case SY_OUT_JSON: "SY_OUT_JSON"
        case SY_OUT_ERROR_JSON: "SY_OUT_ERROR_JSON"
        case SY_OUT_BYTES: "SY_OUT_BYTES"
        default: "an unknown output kind (\(kind))"
        }
    }
}
