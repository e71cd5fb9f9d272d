import SwitchyardPluginSDK

/// Gathers what the scans of one document found and turns it into the verdict: nothing (allow),
/// an RFC 6902 patch replacing each text that had findings with its redacted form, or a
/// rejection naming the kinds found (never the values).
struct VerdictBuilder {
    let action: PIIConfig.Action
    let detectors: [Detector]
    private var operations = JSONWriter(capacity: 0)
    private var replacedTexts = 0
    /// Every detector that found something, for the rejection message.
    private var found: [Finding] = []

    init(action: PIIConfig.Action, detectors: [Detector]) {
        self.action = action
        self.detectors = detectors
    }

    /// Records one text's findings (nothing to do for a text without any). Redacting, `text`
    /// becomes a `replace` operation at `location`.
    mutating func record(_ location: TextLocation, text: UnsafeRawBufferPointer, findings: [Finding]) {
        guard !findings.isEmpty else { return }
        found.append(contentsOf: findings)
        guard action == .redact else { return }
        operations.raw(replacedTexts == 0 ? #"[{"op":"replace","path":"# : #",{"op":"replace","path":"#)
        operations.string(location.pointer)
        operations.raw(#","value":"#)
        let redacted = Redaction.redact(text, findings: findings, detectors: detectors)
        redacted.withUnsafeBytes { operations.string(utf8: $0) }
        operations.raw("}")
        replacedTexts += 1
    }

    /// Hands the decision to the host. A verdict the host refuses is the guardrail failing (its
    /// on_error decides), never a silent pass.
    func apply(to verdict: Verdict, phase: Inspection.Phase) throws(PluginError) {
        guard !found.isEmpty else { return }
        let status: sy_status
        switch action {
        case .reject:
            let names = foundNames().joined(separator: ", ")
            status = verdict.reject(status: 400, message: "PII detected in the \(Self.noun(phase)): \(names)", code: "pii_detected")
        case .redact:
            var document = operations
            document.raw("]")
            status = verdict.patch(document.bytes)
        }
        guard status == SY_OK else { throw PluginError(SY_E_INTERNAL, "the host refused the verdict (status \(status))") }
    }

    /// The names of the detectors that found something, in detector order, each once.
    private func foundNames() -> [String] {
        var seen = [Bool](repeating: false, count: detectors.count)
        for finding in found { seen[finding.detector] = true }
        return detectors.indices.filter { seen[$0] }.map { detectors[$0].name }
    }

    private static func noun(_ phase: Inspection.Phase) -> String {
        switch phase {
        case .request: "request"
        case .response: "response"
        case .chunk: "streamed response"
        }
    }
}
