import CSwitchyardPlugin
import SwitchyardPlugins

/// The enrichers observing one request (passthrough, or a native attempt): each one's per-call
/// state, fed the request and response as they pass, and their reports when it ends.
///
/// Fail-open: a hook that fails, or returns past its entry's `deadline`, ends that enricher's
/// part in the call (EnricherObservation frees its state at once) and is logged and noted in
/// `record`; nothing reaches the request. The executors feed bytes only after the upstream
/// (request body) or the client (response body) has been handed them, so an enricher never
/// delays a byte. Each hook is also watched like a provider's (HookWatch): one that blocks is
/// reported while it blocks. A request without enrichers has no tap at all.
///
/// Threading: loop-confined, owned by the executor of the request.
final class EnricherTap {
    private var running: [(entry: ConfiguredEnricher, observation: EnricherObservation)] = []
    private(set) var record = EnricherRecord()
    private var reports: [[UInt8]] = []
    private let requestID: String
    private let method: String
    private let path: String
    private let log: GatewayLog
    private let watch: HookWatch
    private var ended = false

    /// Runs each entry's `begin` with the request head; nil when none wants the call (and none
    /// failed: a failure is worth its log field).
    init?(_ entries: [ConfiguredEnricher], call: CallDescription, request head: ExchangeHead, log: GatewayLog, watch: HookWatch) {
        requestID = call.requestID
        method = head.method
        path = head.path
        self.log = log
        self.watch = watch
        for entry in entries {
            let mark = watch.enter(.observe, provider: entry.watchTag)
            let begun = entry.plugin.begin(call, request: head, deadline: entry.deadline)
            _ = watch.exit(mark)
            if case .failed = begun { watch.failed(mark) }
            switch begun {
            case .declined: record.note(entry.name, .declined)
            case .failed(let failure): fail(entry, hook: "begin", failure)
            case .observing(let observation): running.append((entry, observation))
            }
        }
        if running.isEmpty && record.isEmpty { return nil }
    }

    var readsRequestBody: Bool { running.contains { $0.entry.plugin.phases & SY_PHASE_REQUEST != 0 } }
    var readsResponseBody: Bool { running.contains { $0.entry.plugin.phases & SY_PHASE_RESPONSE != 0 } }

    func requestData(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        each("data") { $0.data(phase: SY_PHASE_REQUEST, chunk) }
    }

    func responseData(_ chunk: UnsafeRawBufferPointer) {
        guard !chunk.isEmpty else { return }
        each("data") { $0.data(phase: SY_PHASE_RESPONSE, chunk) }
    }

    /// The upstream's response head (the request's method and path go with it).
    func response(status: Int, headers: [(name: String, value: String)]) {
        let head = ExchangeHead(status: status, method: method, path: path, headers: headers)
        each("response") { $0.response(head) }
    }

    /// The call is over: each enricher still observing reports (`outcome`: SY_OK,
    /// SY_E_CANCELLED, SY_E_UPSTREAM) and is closed; returns the merged result. Idempotent.
    func end(outcome: sy_status) -> Enrichment {
        if !ended {
            ended = true
            for (entry, observation) in running {
                let mark = watch.enter(.observe, provider: entry.watchTag)
                let result = observation.end(outcome: outcome)
                _ = watch.exit(mark)
                switch result {
                case .success(let report):
                    if let report { reports.append(report) }
                    record.note(entry.name, report == nil ? .silent : .reported)
                case .failure(let failure):
                    fail(entry, hook: "end", failure)
                }
                observation.close()
            }
            running = []
        }
        return Enrichment(reports: reports, record: record)
    }

    /// Runs `hook` on every enricher still observing; drops (and notes) those that fail.
    private func each(_ hook: StaticString, _ body: (EnricherObservation) -> PluginFailure?) {
        var index = 0
        while index < running.count {
            let (entry, observation) = running[index]
            let mark = watch.enter(.observe, provider: entry.watchTag)
            let failure = body(observation)
            _ = watch.exit(mark)
            if let failure {
                running.remove(at: index)  // its state is freed already
                fail(entry, hook: "\(hook)", failure)
            } else {
                index += 1
            }
        }
    }

    private func fail(_ entry: ConfiguredEnricher, hook: String, _ failure: PluginFailure) {
        let timedOut = failure.status == SY_E_TIMEOUT
        record.note(entry.name, timedOut ? .slow(hook) : .failed(hook))
        log.warn(timedOut ? "enricher ran past its deadline; skipped for this request (fail-open)" : "enricher failed; skipped for this request (fail-open)",
                 requestID: requestID, fields: [("enricher", entry.name), ("hook", hook), ("error", failure.message)])
    }
}
