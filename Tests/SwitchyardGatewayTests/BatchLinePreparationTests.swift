import CSwitchyardPlugin
import Foundation
import SwitchyardConfig
import SwitchyardCore
@testable import SwitchyardGateway
import SwitchyardJSON
@testable import SwitchyardPlugins
import SwitchyardPosix
import Testing

/// `BatchLinePreparation` as the batch endpoints run it: a gateway assembled from YAML with the
/// real built plugins (the echo provider twice, the built-in batch-models preparer found through
/// SWITCHYARD_PLUGIN_DIR, guardrail-blocklist rejecting and redacting, the C fixture preparer),
/// each line prepared on a running event loop.
@Suite(.serialized) struct BatchLinePreparationTests {
    @Test func anAliasIsRewrittenToTheProvidersModelAndEveryOtherByteKept() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let line = #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"fast","messages":[{"role":"user","content":"hi"}],"max_tokens":5}}"#
        let outcome = try harness.prepare([line])
        #expect(outcome == [.replace(#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","messages":[{"role":"user","content":"hi"}],"max_tokens":5}}"#)])
    }

    @Test func aLineNamingTheProvidersOwnModelGoesOnUntouched() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let outcome = try harness.prepare([#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","messages":[]}}"#])
        #expect(outcome == [.keep])
    }

    @Test func anUnknownModelIsRefusedNamingTheLine() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let ok = #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","messages":[]}}"#
        let outcome = try harness.prepare([ok, #"{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"nope","messages":[]}}"#])
        #expect(outcome.first == .keep)
        #expect(outcome.last == .refused(400, "invalid_batch_line", "line 2: batch preparer 'batch-models': model 'nope' is not served by this gateway"))
    }

    @Test func aModelOfAnotherProviderIsRefused() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let outcome = try harness.prepare([#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-2","messages":[]}}"#])
        #expect(outcome == [.refused(400, "invalid_batch_line",
                                     "line 1: batch preparer 'batch-models': model 'echo-2' is served by provider(s) beta, not by 'alpha' which holds this batch")])
    }

    @Test func aLineWithoutAModelOrNotAnObjectIsRefused() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        #expect(try harness.prepare([#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"messages":[]}}"#]).first?.message?.hasPrefix("line 1: batch preparer 'batch-models': body.model is missing") == true)
        #expect(try harness.prepare([#"[1,2]"#]).first?.message?.hasPrefix("line 1: is not a JSON object") == true)
    }

    @Test func anUnsupportedURLIsRefused() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let outcome = try harness.prepare([#"{"custom_id":"a","method":"POST","url":"/v1/responses","body":{"model":"echo-1"}}"#])
        #expect(outcome.first?.message?.hasPrefix("line 1: url '/v1/responses' is not supported in a batch") == true)
    }

    @Test func aGuardrailRejectsALine() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let outcome = try harness.prepare([#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"fast","messages":[{"role":"user","content":"a forbidden word"}]}}"#])
        #expect(outcome.first?.status == 400)
        #expect(outcome.first?.code == "invalid_batch_line")
        #expect(outcome.first?.message?.hasPrefix("line 1: Rejected by guardrail 'block'") == true)
    }

    @Test func aGuardrailPatchRewritesTheLinesBody() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let outcome = try harness.prepare([#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"fast","messages":[{"role":"user","content":"my secret"}]}}"#])
        guard case .replace(let text) = outcome.first else { Issue.record("not replaced: \(outcome)"); return }
        let line = try JSONValue.parse(text)
        #expect(line["custom_id"]?.stringValue == "a")
        #expect(line["body"]?["model"]?.stringValue == "echo-1")  // the preparer's rewrite is kept
        #expect(line["body"]?["messages"]?.arrayValue?.first?["content"]?.stringValue == "my [redacted]")
        #expect(text.hasPrefix(#"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":"#))
    }

    @Test func theCFixtureRefusesRewritesAndIsCheckedByTheHost() throws {
        let harness = try BatchHarness(withFixture: true)
        defer { harness.shutdown() }
        let base = #"{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","messages":[],"metadata":{"tag":"TAG"}}}"#
        func line(_ marker: String) -> String { base.replacingOccurrences(of: "TAG", with: marker) }
        #expect(try harness.prepare([line("REFUSE_ME")]) == [.refused(400, "invalid_batch_line", "line 1: batch preparer 'fixture': the line holds REFUSE_ME")])
        #expect(try harness.prepare([line("BYTES_ME")]).first?.message?.contains("a batch preparer writes one SY_OUT_JSON") == true)
        #expect(try harness.prepare([line("TWICE_ME")]).first?.message?.contains("a second SY_OUT_JSON") == true)
        // The fixture writes a line of its own holding call_route's answer for "fast"; batch-models keeps it.
        #expect(try harness.prepare([line("ROUTE_ME")]) == [.replace(
            #"{"custom_id":"route","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","route":{"model":"echo-1","targets":[{"provider":"alpha","upstream_model":"echo-1"}]}}}"#)])
    }

    @Test func theCFixtureSeesTheProviderAndEveryBegunBatchIsFreed() throws {
        let harness = try BatchHarness(withFixture: true, builtIn: false)
        defer { harness.shutdown() }
        let base = #"{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","messages":[],"metadata":{"tag":"TAG"}}}"#
        _ = try harness.prepare([base])
        let stats = try harness.prepare([base.replacingOccurrences(of: "TAG", with: "STATS_ME")])
        guard case .replace(let text) = stats.first else { Issue.record("\(stats)"); return }
        let report = try #require(try JSONValue.parse(text)["body"])
        #expect(report["begins"]?.intValue == 2)
        #expect(report["ends"]?.intValue == 1)
        #expect(report["frees"]?.intValue == 1)
        #expect(report["provider_seen"]?.intValue == 1)
    }

    @Test func aPreparerRefusingTheBatchAtBeginOrEndIsNamed() throws {
        let harness = try BatchHarness(withFixture: true, builtIn: false)
        defer { harness.shutdown() }
        #expect(throws: GatewayError.self) { try harness.begin(request: #"{"input_file_id":"f","endpoint":"/v1/chat/completions","metadata":{"x":"refuse_batch"}}"#) }
        let error = harness.onLoop { () -> GatewayError? in
            let preparation = try? BatchLinePreparation(
                services: harness.services, context: harness.context, provider: "alpha", batchRequest: Array(#"{"endpoint":"/v1/chat/completions","metadata":{"x":"refuse_end"}}"#.utf8), requestID: "req-b")
            defer { preparation?.cancel() }
            return preparation?.finish()
        }
        #expect(error??.message == "Batch preparer 'fixture' refused the batch: the batch ended badly")
    }

    @Test func aLineNamingATopLevelKeyTwiceIsRefusedBeforeAnyPreparerReadsIt() throws {
        let harness = try BatchHarness(withFixture: true)
        defer { harness.shutdown() }
        // batch-models reads the first body (and would rewrite "fast"); the guardrails would read
        // the first, the provider the last: such a line never goes on.
        let twoBodies = #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"fast","messages":[]},"body":{"model":"echo-1","messages":[{"role":"user","content":"a forbidden word"}]}}"#
        #expect(try harness.prepare([twoBodies]) == [.refused(400, "invalid_batch_line", "line 1: names 'body' twice")])
        let twoURLs = #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","url":"/v1/embeddings","body":{"model":"echo-1"}}"#
        #expect(try harness.prepare([twoURLs]) == [.refused(400, "invalid_batch_line", "line 1: names 'url' twice")])
        let twoIDs = #"{"custom_id":"a","custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1"}}"#
        #expect(try harness.prepare([twoIDs]) == [.refused(400, "invalid_batch_line", "line 1: names 'custom_id' twice")])
        // An escaped spelling is the same key.
        let escaped = #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1"},"b\u006fdy":{"model":"echo-2"}}"#
        #expect(try harness.prepare([escaped]) == [.refused(400, "invalid_batch_line", "line 1: names 'body' twice")])
    }

    @Test func aBodyNamingAKeyTwiceIsRefusedWithoutGuardrailsToo() throws {
        let harness = try BatchHarness(builtIn: false, guardrails: false)
        defer { harness.shutdown() }
        let line = #"{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"m","model":"n","messages":[]}}"#
        #expect(try harness.prepare([line]).first?.message == "line 1: names a key twice (at /body/model); a batch line must not repeat keys")
    }

    @Test func aLinesURLMustBeTheBatchsEndpoint() throws {
        let harness = try BatchHarness()
        defer { harness.shutdown() }
        let embeddings = #"{"custom_id":"a","method":"POST","url":"/v1/embeddings","body":{"model":"echo-1","input":"x"}}"#
        #expect(try harness.prepare([embeddings]) == [.refused(
            400, "invalid_batch_line", "line 1: url '/v1/embeddings' differs from the batch's endpoint '/v1/chat/completions'")])
        #expect(try harness.prepare([embeddings], endpoint: "/v1/embeddings") == [.keep])
    }

    @Test func aLineNeedsMethodPOSTAndACustomID() throws {
        let harness = try BatchHarness(builtIn: false, guardrails: false)
        defer { harness.shutdown() }
        let body = #""url":"/v1/chat/completions","body":{"model":"m"}}"#
        #expect(try harness.prepare([#"{"custom_id":"a","method":"GET","# + body]).first?.message
            == "line 1: method 'GET' is not supported in a batch (\"POST\" is)")
        #expect(try harness.prepare([#"{"custom_id":"a","# + body]).first?.message == "line 1: has no method (\"POST\")")
        for id in [#""custom_id":"","#, #""custom_id":7,"#, ""] {
            #expect(try harness.prepare(["{" + id + #""method":"POST","# + body]).first?.message?
                .hasPrefix("line 1: has no custom_id (a non-empty string") == true)
        }
    }

    @Test func aCustomIDUsedTwiceNamesTheFirstLine() throws {
        let harness = try BatchHarness(builtIn: false, guardrails: false)
        defer { harness.shutdown() }
        func line(_ id: String) -> String { #"{"custom_id":"\#(id)","method":"POST","url":"/v1/chat/completions","body":{"model":"m"}}"# }
        #expect(try harness.prepare([line("x"), line("y"), line("x")]) == [
            .keep, .keep, .refused(400, "invalid_batch_line", "line 3: custom_id 'x' is used by line 1"),
        ])
    }

    @Test func aPreparerThatFailsRatherThanRefusesKeepsAServerStatus() throws {
        let harness = try BatchHarness(withFixture: true, builtIn: false)
        defer { harness.shutdown() }
        let base = #"{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","metadata":{"tag":"TAG"}}}"#
        func line(_ marker: String) -> String { base.replacingOccurrences(of: "TAG", with: marker) }
        #expect(try harness.prepare([line("TIMEOUT_ME")]) == [.refused(
            504, "batch_preparer_timeout", "line 1: batch preparer 'fixture': the preparer's backend is away")])
        #expect(try harness.prepare([line("NOMEM_ME")]) == [.refused(
            503, "batch_preparer_failed", "line 1: batch preparer 'fixture': the preparer's backend is away")])
        // A refusal stays the client's.
        #expect(try harness.prepare([line("REFUSE_ME")]).first?.status == 400)
    }

    @Test func anUnknownOutputKindIsIgnored() throws {
        let harness = try BatchHarness(withFixture: true, builtIn: false)
        defer { harness.shutdown() }
        let line = #"{"custom_id":"x","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1","metadata":{"tag":"NEWKIND_ME"}}}"#
        #expect(try harness.prepare([line]) == [.keep])
    }

    @Test func noPreparersAndNoGuardrailsKeepEveryLine() throws {
        let harness = try BatchHarness(builtIn: false, guardrails: false)
        defer { harness.shutdown() }
        #expect(try harness.prepare([#"{"custom_id":"e","method":"POST","url":"/v1/embeddings","body":{"model":"anything","input":"x"}}"#], endpoint: "/v1/embeddings") == [.keep])
    }
}

/// What a test compares: the outcome with the error's status, code and message.
enum Prepared: Equatable {
    case keep
    case replace(String)
    case refused(Int, String?, String)

    var message: String? { if case .refused(_, _, let message) = self { message } else { nil } }
    var status: Int? { if case .refused(let status, _, _) = self { status } else { nil } }
    var code: String? { if case .refused(_, let code, _) = self { code } else { nil } }
}

/// A gateway assembled from YAML (not started: its services are what the batch path reads) and
/// one event loop of its own with a LoopContext, as a server loop has.
final class BatchHarness: @unchecked Sendable {
    let gateway: Gateway
    let loop: EventLoop
    let context: LoopContext
    private let thread: Thread
    private let folder: String
    var services: GatewayServices { gateway.responder.services }

    static let products: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repository.appendingPathComponent(".build/debug").resolvingSymlinksInPath().path
    }()

    init(withFixture: Bool = false, builtIn: Bool = true, guardrails: Bool = true) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-batch-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let products = Self.products
        try #require(FileManager.default.fileExists(atPath: products + "/libBatchModels.so"), "run `swift build` first")
        var yaml = """
        store: {path: \(folder)/store.db}
        plugins:
          - {name: echo, path: \(products)/libProviderEcho.so}
          - {name: block, path: \(products)/libGuardrailBlocklist.so, config: {words: [forbidden]}}
          - {name: redact, path: \(products)/libGuardrailBlocklist.so, config: {words: [secret], action: redact}}

        """
        if withFixture { yaml += "  - {name: fixture, path: \(try BatchFixture.path())}\n" }
        yaml += """
        providers:
          - {name: alpha, plugin: echo, models: [echo-1]}
          - {name: beta, plugin: echo, models: [echo-2]}
        aliases:
          fast: echo-1

        """
        if guardrails {
            yaml += """
            guardrails:
              - {name: block, plugin: block, phases: [request]}
              - {name: redact, plugin: redact, phases: [request], order: 2}

            """
        }
        if withFixture {
            yaml += builtIn
                ? "batch_preparers:\n  - {name: fixture, plugin: fixture}\n  - {name: batch-models, plugin: models}\n"
                : "batch_preparers:\n  - {name: fixture, plugin: fixture}\n"
            if builtIn { yaml = yaml.replacingOccurrences(of: "providers:\n", with: "  - {name: models, path: \(products)/libBatchModels.so}\nproviders:\n") }
        } else if !builtIn {
            yaml += "batch_preparers: []\n"
        }
        let config = try ConfigLoader.parse(yaml: Array(yaml.utf8), sourceName: "batch-test.yaml",
                                            environment: .values(["SWITCHYARD_PLUGIN_DIR": products]))
        gateway = try Gateway(config: config, log: GatewayLog(), accessLog: false)
        let loop = try EventLoop()
        self.loop = loop
        context = LoopContext(loop: loop)
        thread = Thread { loop.run() }
        thread.start()
    }

    func onLoop<T>(_ body: @escaping () -> T) -> T? { runOnLoop(loop, body) }

    func begin(request: String) throws(GatewayError) {
        let result = onLoop { [self] () -> GatewayError? in
            do throws(GatewayError) {
                let preparation = try BatchLinePreparation(services: services, context: context, provider: "alpha",
                                                           batchRequest: Array(request.utf8), requestID: "req-b")
                preparation.cancel()
                return nil
            } catch {
                return error
            }
        }
        if let error = result ?? nil { throw error }
    }

    /// Prepares `lines` in order for a batch held by provider alpha, stopping at the first
    /// refusal (as the batch endpoint does), then runs `finish` and `cancel`.
    func prepare(_ lines: [String], endpoint: String = "/v1/chat/completions") throws -> [Prepared] {
        let outcome = onLoop { [self] () -> [Prepared] in
            let preparation: BatchLinePreparation
            do throws(GatewayError) {
                preparation = try BatchLinePreparation(services: services, context: context, provider: "alpha",
                                                       batchRequest: Array(#"{"input_file_id":"file-1","endpoint":"\#(endpoint)"}"#.utf8), requestID: "req-b")
            } catch {
                return [.refused(error.status, error.code, error.message)]
            }
            defer { preparation.cancel() }
            var results: [Prepared] = []
            for (index, line) in lines.enumerated() {
                var result: Prepared?
                // Blocklist never pauses: the completion runs inline.
                preparation.prepare(line: Array(line.utf8), number: index + 1) { outcome in
                    switch outcome {
                    case .keep: result = .keep
                    case .replace(let bytes): result = .replace(String(decoding: bytes, as: UTF8.self))
                    case .refuse(let error): result = .refused(error.status, error.code, error.message)
                    }
                }
                guard let result else { results.append(.refused(0, nil, "no inline completion")); break }
                results.append(result)
                if case .refused = result { return results }
            }
            if let error = preparation.finish() { results.append(.refused(error.status, error.code, error.message)) }
            return results
        }
        return try #require(outcome)
    }

    func shutdown() {
        loop.stop()
        gateway.store.close()
        try? FileManager.default.removeItem(atPath: folder)
    }
}

enum BatchFixture {
    private static let built: Result<String, any Error> = Result { try GoodFixture.build("Tests/EndToEnd/plugins/test_batch_preparer.c", as: "batch") }

    static func path() throws -> String { try built.get() }
}
