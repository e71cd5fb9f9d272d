import SwitchyardPluginSDK

/// Blocks configured words and phrases in requests, responses and streamed text: rejects the
/// request (a 400 naming the message or choice, never the term) or redacts the matches. See
/// README.md for what each phase inspects.
///
/// Threading: `inspect` runs on any event loop, concurrently for different calls; the config and
/// trie are immutable, and the one piece of per-stream state lives behind `StreamEdges`' lock.
final class BlocklistGuardrail: Guardrail {
    static let phases: GuardrailPhases = [.request, .response, .chunk]

    let config: BlocklistConfig
    let scanner: TermScanner
    let edges = StreamEdges()

    init(config: JSONValue, host: PluginHost) throws(PluginError) {
        self.config = try BlocklistConfig(config)
        scanner = TermScanner(trie: TermTrie(terms: self.config.terms))
    }

    func inspect(_ inspection: Inspection, verdict: Verdict) throws(PluginError) -> InspectOutcome {
        let body: JSONValue
        do { body = try JSONValue.parse(inspection.json) } catch { throw .invalid("the inspected document is not valid JSON: \(error)") }
        switch inspection.phase {
        case .request: inspectWhole(InspectedTexts.request(body), verdict: verdict)
        case .response: inspectWhole(InspectedTexts.response(body), verdict: verdict)
        case .chunk: inspectWindow(body, call: inspection.call.id, verdict: verdict)
        }
        return .complete
    }

    func callEnded(_ call: PluginCall) {
        edges.forget(call: call.id)
    }

    /// Request and response: every text is complete.
    private func inspectWhole(_ texts: [(TextPlace, String)], verdict: Verdict) {
        var redaction = Redaction(placeholder: config.placeholder)
        for (place, text) in texts {
            let folded = FoldedText(text)
            let scan = scanner.scan(folded, isFinal: true, firstOnly: config.action == .reject)
            guard !scan.matches.isEmpty else { continue }
            if config.action == .reject {
                reject(place, verdict)
                return
            }
            redaction.replace(place, text: text, byteRanges: scan.matches.map(folded.byteRange))
        }
        if !redaction.isEmpty { verdict.patch(redaction.operations()) }
    }

    /// Chunk: the window (held text + new text) of one choice. Decided matches are rejected or
    /// redacted; the undecided tail is held for the next chunk. When the host refuses the hold
    /// (the choice is ending), the window is decided as the end of the text.
    private func inspectWindow(_ body: JSONValue, call: UInt, verdict: Verdict) {
        guard let (place, text) = InspectedTexts.chunk(body), case .deltaContent(_, let choice) = place else { return }
        let folded = FoldedText(text)
        let precededByWord = folded.count > 0 && WordCharacter.contains(folded.units[0]) && edges.endsInWord(call: call, choice: choice)
        let reject = config.action == .reject
        var scan = scanner.scan(folded, isFinal: false, precededByWord: precededByWord, firstOnly: reject)
        if scan.holdFrom < folded.count, scan.matches.isEmpty || !reject {
            let heldBytes = folded.byteCount - folded.byteOffset(scan.holdFrom)
            if verdict.hold(heldBytes) != SY_OK {
                scan = scanner.scan(folded, isFinal: true, precededByWord: precededByWord, firstOnly: reject)
            }
        }
        if scan.holdFrom > 0 {
            edges.record(call: call, choice: choice, endsInWord: WordCharacter.contains(folded.units[scan.holdFrom - 1]))
        }
        guard !scan.matches.isEmpty else { return }
        if reject {
            self.reject(place, verdict)
        } else {
            var redaction = Redaction(placeholder: config.placeholder)
            redaction.replace(place, text: text, byteRanges: scan.matches.map(folded.byteRange))
            verdict.patch(redaction.operations())
        }
    }

    private func reject(_ place: TextPlace, _ verdict: Verdict) {
        verdict.reject(status: 400, message: config.message ?? place.rejection, code: "content_blocked")
    }
}
