import CSwitchyardPlugin

/// What each guardrail decided in each phase of one request, for the access log
/// (`guardrails="pii/request:patch blocklist/request:allow pii/stream:patch"`). A stream's
/// chunks add up to one entry per guardrail: its strongest verdict. Loop-confined.
final class GuardrailRecord {
    enum Verdict: Int, Comparable {
        case allow, hold, patch, failedOpen = 4, reject, failed, timeout

        var name: String {
            switch self {
            case .allow: "allow"
            case .hold: "hold"
            case .patch: "patch"
            case .failedOpen: "error_open"
            case .reject: "reject"
            case .failed: "error"
            case .timeout: "timeout"
            }
        }

        static func < (a: Verdict, b: Verdict) -> Bool { a.rawValue < b.rawValue }
    }

    private var entries: [(guardrail: String, phase: UInt32, verdict: Verdict)] = []

    /// Entries whose inspect was called for this request, settled or not (a pause cut short by
    /// the client leaving has no verdict, but its guardrail still hears `call_end`).
    private var started: [String] = []

    var isEmpty: Bool { entries.isEmpty }

    func noteStarted(_ guardrail: String) {
        if !started.contains(guardrail) { started.append(guardrail) }
    }

    /// What `guardrail` decided in `phase`; nil when it has not settled (the audit's redaction
    /// stores a body only after an `allow` or a `patch`).
    func verdict(of guardrail: String, phase: UInt32) -> Verdict? {
        entries.first { $0.guardrail == guardrail && $0.phase == phase }?.verdict
    }

    /// Whether the guardrail inspected anything of this request.
    func inspected(_ guardrail: String) -> Bool { started.contains(guardrail) }

    func note(_ guardrail: String, phase: UInt32, _ verdict: Verdict) {
        if let index = entries.firstIndex(where: { $0.guardrail == guardrail && $0.phase == phase }) {
            // The request phase runs again on a failover: its latest verdict counts. A stream's
            // chunks keep the strongest.
            if phase != SY_PHASE_CHUNK || verdict > entries[index].verdict { entries[index].verdict = verdict }
        } else {
            entries.append((guardrail, phase, verdict))
        }
    }

    /// The access log's `guardrails` value, written straight into the line: entry names are
    /// `[a-z0-9_-]+` (EntryName) and the rest are fixed words, so nothing needs escaping.
    func write(into line: inout [UInt8]) {
        for (index, entry) in entries.enumerated() {
            if index > 0 { line.append(0x20) }
            line.append(contentsOf: entry.guardrail.utf8)
            line.append(UInt8(ascii: "/"))
            line.append(contentsOf: Self.phaseName(entry.phase).utf8)
            line.append(UInt8(ascii: ":"))
            line.append(contentsOf: entry.verdict.name.utf8)
        }
    }

    static func phaseName(_ phase: UInt32) -> String {
        switch phase {
        case SY_PHASE_REQUEST: "request"
        case SY_PHASE_RESPONSE: "response"
        default: "stream"
        }
    }
}
