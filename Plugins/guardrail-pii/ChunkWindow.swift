import SwitchyardPluginSDK

/// The chunk phase: one window of a streamed choice's text (what was held back, then the new
/// text). Text that might be the start of a card number, email or key still being written is
/// held back for the next window through `verdict.hold`; the rest is judged now.
struct ChunkWindow {
    let text: String
    let location: TextLocation

    func inspect(_ scanner: TextScanner, holdingThrough verdict: Verdict, into decision: inout VerdictBuilder) throws(PluginError) {
        try withUTF8Bytes(of: text) { bytes throws(PluginError) in
            var scan = try scanner.scan(bytes, streaming: true)
            let held = bytes.count - scan.holdFrom
            if held > 0 {
                // The held tail is untouched by redaction (every finding ends before it), so its
                // length is the same after the patch. When the host refuses (the choice or the
                // stream is ending) or the tail is over its limit, the text goes out now: judged
                // as final, a match at the very end counts.
                if held > Int(SY_MAX_HOLD_BYTES) || verdict.hold(held) != SY_OK {
                    scan = try scanner.scan(bytes, streaming: false)
                }
            }
            decision.record(location, text: bytes, findings: scan.findings)
        }
    }
}
