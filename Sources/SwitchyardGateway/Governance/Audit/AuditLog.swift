import CSwitchyardPlugin
import SwitchyardConfig
import SwitchyardCore
import SwitchyardJSON
import SwitchyardStore

/// `audit:` for one config generation: which requests are captured (`capture`), and how a
/// captured request is kept once it ended (`finish`): its bodies redacted by the `redact_with`
/// guardrail first (`AuditRedaction`), then one write-behind insert, and the retention pass.
/// A redaction that fails (the guardrail errs, times out, rejects, or leaves no verdict) stores
/// nothing: it is counted (`switchyard_audit_entries_dropped_total`) and logged (decision 0026).
///
/// Threading: immutable and Sendable; `capture` and `finish` run on the request's loop, the
/// insert on the store's writer.
final class AuditLog: Sendable {
    let config: AuditConfig
    let redactor: ConfiguredGuardrail?
    let store: Store
    let log: GatewayLog
    let drops: AuditDrops
    let retention: RetentionSweep

    init(config: AuditConfig, redactor: ConfiguredGuardrail?, store: Store, log: GatewayLog, drops: AuditDrops) {
        self.config = config
        self.redactor = redactor
        self.store = store
        self.log = log
        self.drops = drops
        retention = RetentionSweep(table: "audit_entries", maxAge: config.retention, store: store)
        retention.sweep(now: RetentionSweep.now())
    }

    /// A capture for a request the config audits (by its caller's key or its path), else nil.
    func capture(_ plan: ExecutionPlan, path: String, body: [UInt8]) -> AuditCapture? {
        guard config.matches(keyID: plan.caller?.keyID, path: path) else { return nil }
        return AuditCapture(audit: self, requestID: plan.requestID, keyID: plan.caller?.keyID, route: path,
                            model: plan.resolution.requested.isEmpty ? nil : plan.resolution.requested, body: body)
    }

    /// The request ended with `status`: redact its bodies, then queue the insert.
    func finish(_ capture: AuditCapture, status: Int, context: LoopContext) {
        var entry = AuditEntry(requestID: capture.requestID, createdAt: RetentionSweep.now(), keyID: capture.keyID, route: capture.route,
                               model: capture.model, status: status, requestBody: capture.request, responseBody: capture.response,
                               redacted: false, truncated: capture.truncated)
        guard let redactor else { return write(entry) }
        AuditRedaction.run(redactor, request: entry.requestBody, response: entry.responseBody, requestID: entry.requestID, context: context, log: log) { [self] outcome in
            switch outcome {
            case .redacted(let request, let response):
                entry.requestBody = request
                entry.responseBody = response
                entry.redacted = true
                write(entry)
            case .failed(let why):
                drops.add()
                log.error("audit entry not stored: its redaction failed", requestID: entry.requestID,
                          fields: [("guardrail", redactor.name), ("error", why), ("total_dropped", String(drops.total))])
            }
        }
    }

    private func write(_ entry: AuditEntry) {
        store.write { db throws(StoreError) in try AuditRows.insert(db, entry) }
        retention.sweepIfDue(now: entry.createdAt)
    }
}
