import SwitchyardPluginSDK

/// Finds personal data and secrets in requests, responses and streams, and redacts them or
/// rejects the call (README.md). Immutable after init: the host calls `inspect` from several
/// event loops at once; each call makes its own `MatchScratch`.
final class PIIGuardrail: Guardrail {
    static let phases: GuardrailPhases = [.request, .response, .chunk]

    let config: PIIConfig

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try PIIConfig(config)
        let interpreted = self.config.detectors.filter { !$0.pattern.isJIT }.map(\.name)
        if !interpreted.isEmpty {
            host.log(.warn, "PCRE2 JIT unavailable for \(interpreted.joined(separator: ", ")): matching with the interpreter (same results, slower)")
        }
    }

    func inspect(_ inspection: Inspection, verdict: Verdict) throws(PluginError) -> InspectOutcome {
        let document: JSONValue
        do { document = try JSONValue.parse(inspection.json) } catch { throw .invalid("the inspected document is not valid JSON: \(error)") }
        let scratch: MatchScratch
        do { scratch = try MatchScratch() } catch { throw PluginError(SY_E_NOMEM, "no memory for PCRE2 match data") }
        let scanner = TextScanner(detectors: config.detectors, scratch: scratch)
        var decision = VerdictBuilder(action: config.action, detectors: config.detectors)
        switch inspection.phase {
        case .request:
            try DocumentTexts.request(document) { location, text throws(PluginError) in try scanWhole(text, at: location, scanner, &decision) }
        case .response:
            try DocumentTexts.response(document) { location, text throws(PluginError) in try scanWhole(text, at: location, scanner, &decision) }
        case .chunk:
            if let (location, text) = DocumentTexts.chunkText(document) {
                try ChunkWindow(text: text, location: location).inspect(scanner, holdingThrough: verdict, into: &decision)
            }
        }
        try decision.apply(to: verdict, phase: inspection.phase)
        return .complete
    }

    private func scanWhole(_ text: String, at location: TextLocation, _ scanner: TextScanner, _ decision: inout VerdictBuilder) throws(PluginError) {
        try withUTF8Bytes(of: text) { bytes throws(PluginError) in
            decision.record(location, text: bytes, findings: try scanner.scan(bytes, streaming: false).findings)
        }
    }
}
