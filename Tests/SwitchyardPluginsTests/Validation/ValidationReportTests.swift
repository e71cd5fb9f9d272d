@testable import SwitchyardPlugins
import Testing

/// The report a person reads and the progress lines a child writes.
@Suite struct ValidationReportTests {
    @Test func linesSummaryAndFailureFlag() {
        let results = [
            ValidationResult(name: "negotiate.host-minor-0", verdict: .passed),
            ValidationResult(name: "provider.stream.random-splits", verdict: .failed("output differs at split 17 (seed 4242)")),
            ValidationResult(name: "exports.entry-symbol", verdict: .passed, warnings: ["3 other exported symbols"]),
        ]
        #expect(ValidationReport.lines(results) == [
            "  ok    negotiate.host-minor-0",
            "  FAIL  provider.stream.random-splits: output differs at split 17 (seed 4242)",
            "  ok    exports.entry-symbol",
            "  warn  exports.entry-symbol: 3 other exported symbols",
        ])
        #expect(ValidationReport.summary(results) == "2 passed, 1 failed, 0 skipped")
        #expect(ValidationReport.hasFailure(results))
        #expect(!ValidationReport.hasFailure([results[0]]))
    }

    @Test func skipsOfOneFamilyForOneReasonCollapse() {
        let results = [
            ValidationResult(name: "enricher.exchanges", verdict: .skipped("not an enricher")),
            ValidationResult(name: "enricher.cut-short", verdict: .skipped("not an enricher")),
            ValidationResult(name: "batch.lines", verdict: .skipped("not a batch preparer")),
            ValidationResult(name: "malformed.provider", verdict: .skipped("not a provider")),
            ValidationResult(name: "malformed.guardrail", verdict: .skipped("not a guardrail")),
        ]
        #expect(ValidationReport.lines(results) == [
            "  skip  enricher.*: not an enricher",
            "  skip  batch.lines: not a batch preparer",
            "  skip  malformed.provider: not a provider",
            "  skip  malformed.guardrail: not a guardrail",
        ])
        #expect(ValidationReport.summary(results) == "0 passed, 0 failed, 5 skipped")
    }

    @Test func theStreamHoldsASkipUntilItKnowsWhetherAGroupGoesOn() {
        var stream = ValidationReport.Stream()
        #expect(stream.add(ValidationResult(name: "enricher.exchanges", verdict: .skipped("not an enricher"))) == [])
        #expect(stream.add(ValidationResult(name: "enricher.cut-short", verdict: .skipped("not an enricher"))) == [])
        #expect(stream.add(ValidationResult(name: "batch.lines", verdict: .passed)) == ["  skip  enricher.*: not an enricher", "  ok    batch.lines"])
        #expect(stream.add(ValidationResult(name: "leak.calls", verdict: .skipped("no hook"), warnings: ["w"])) == [])
        #expect(stream.finish() == ["  skip  leak.calls: no hook", "  warn  leak.calls: w"])
        #expect(stream.finish() == [])
    }

    @Test func progressRoundTripsAndNamesTheCheckStillRunning() {
        var text = ValidationProgress.start("exports.entry-symbol")
        text += ValidationProgress.warning("exports.entry-symbol", "two\tother\nsymbols")
        text += ValidationProgress.end(ValidationResult(name: "exports.entry-symbol", verdict: .passed))
        text += ValidationProgress.start("provider.chat")
        text += ValidationProgress.end(ValidationResult(name: "provider.chat", verdict: .failed("refused")))
        text += ValidationProgress.start("provider.chat-stream")
        text += ValidationProgress.warning("provider.chat-stream", "slow")
        text += "ok\tprovider.chat-str"  // cut off by the crash
        let parsed = ValidationProgress.parse(Array(text.utf8))
        #expect(parsed.finished == [
            ValidationResult(name: "exports.entry-symbol", verdict: .passed, warnings: ["two other symbols"]),
            ValidationResult(name: "provider.chat", verdict: .failed("refused")),
        ])
        #expect(parsed.running == "provider.chat-stream")
        #expect(parsed.runningWarnings == ["slow"])
    }

    @Test func anEndLineForAnotherCheckIsIgnored() {
        let text = ValidationProgress.start("a.one") + "ok\tb.two\n"
        let parsed = ValidationProgress.parse(Array(text.utf8))
        #expect(parsed.finished.isEmpty)
        #expect(parsed.running == "a.one")
    }

    @Test func checkNamesAreUniqueAndFamiliesKnown() {
        let names = ValidationCatalog.checks.map(\.name)
        #expect(Set(names).count == names.count)
        let families: Set<String> = ["exports", "negotiate", "manifest", "instance", "provider", "guardrail", "enricher", "batch",
                                     "concurrency", "malformed", "handles", "leak"]
        #expect(Set(names.map { String($0.prefix(while: { $0 != "." })) }) == families)
    }

    @Test func signalNames() {
        #expect(PluginValidator.signalName(11) == "SIGSEGV")
        #expect(PluginValidator.signalName(6) == "SIGABRT")
        #expect(PluginValidator.signalName(64) == "signal 64")
    }
}
