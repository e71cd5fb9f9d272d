import CSwitchyardPlugin
import Foundation
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// The PII guardrail on whole documents (request and response phases) and its config.
@Suite struct PIIDocumentTests {
    static let card = "4111 1111 1111 1111"

    @Test func theLibraryDeclaresItselfAGuardrailForEveryPhase() throws {
        let library = try PIIGuardrailHarness.load()
        #expect(library.id == "dev.switchyard.guardrail.pii")
        let pii = try PIIGuardrailHarness()
        #expect(pii.guardrail.phases == SY_PHASE_REQUEST | SY_PHASE_RESPONSE | SY_PHASE_CHUNK)
    }

    @Test func theManifestSchemaTakesTheDocumentedConfigAndRefusesTypos() throws {
        let schema = try #require(try PIIGuardrailHarness.load().configSchema)
        let good = #"{"action":"reject","placeholder":"***","detectors":{"phone":false},"stream_hold_words":true,"#
            + #""custom":[{"name":"employee_id","pattern":"\\bEMP-\\d{6}\\b"}]}"#
        #expect(schema.violation(in: try JSONValue.parse(good)) == nil)
        #expect(schema.violation(in: try JSONValue.parse(#"{"detectors":["email","card"]}"#)) == nil)
        #expect(schema.violation(in: try JSONValue.parse(#"{"detectors":{"emial":false}}"#)) != nil)
        #expect(schema.violation(in: try JSONValue.parse(#"{"detectors":["iban","iban"]}"#)) != nil)
        #expect(schema.violation(in: try JSONValue.parse(#"{"custom":[{"name":"x"}]}"#))?.message.contains("pattern") == true)
        #expect(schema.violation(in: try JSONValue.parse(#"{"action":"block"}"#)) != nil)
    }

    @Test func aRequestIsRedactedTextByTextWithJSONPatch() throws {
        let pii = try PIIGuardrailHarness()
        let body = #"""
            {"model":"gpt-x","messages":[
            {"role":"system","content":"be brief"},
            {"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a@b.com"}},{"type":"text","text":"mail me: ann@example.org"}]},
            {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"pay","arguments":"{\"card\":\"4111111111111111\"}"}}]},
            {"role":"tool","tool_call_id":"c1","content":"charged card 4111 1111 1111 1111"}],
            "temperature":0.5}
            """#
        let verdict = pii.request(body)
        #expect(verdict.failure == nil && verdict.rejection == nil)
        let operations = try verdict.operations()
        #expect(operations.count == 3, "only the texts with findings are replaced")
        #expect(try verdict.replacement(at: "/messages/1/content/1/text") == "mail me: [REDACTED:email]")
        #expect(try verdict.replacement(at: "/messages/2/tool_calls/0/function/arguments") == #"{"card":"[REDACTED:card]"}"#)
        #expect(try verdict.replacement(at: "/messages/3/content") == "charged card [REDACTED:card]")
    }

    @Test func aCleanRequestGetsNoVerdict() throws {
        let verdict = try PIIGuardrailHarness().request(PIIDocuments.chatRequest([("user", "what is 2 + 2? order #12345678")]))
        #expect(verdict.patches.isEmpty && verdict.rejection == nil && verdict.holds.isEmpty && verdict.failure == nil)
    }

    @Test func embeddingsInputIsInspected() throws {
        let pii = try PIIGuardrailHarness()
        let single = pii.request(#"{"model":"e","input":"reach me at bob@corp.example"}"#)
        #expect(try single.replacement(at: "/input") == "reach me at [REDACTED:email]")
        let list = pii.request(#"{"model":"e","input":["fine","iban GB82 WEST 1234 5698 7654 32"]}"#)
        #expect(try list.operations().count == 1)
        #expect(try list.replacement(at: "/input/1") == "iban [REDACTED:iban]")
        #expect(pii.request(#"{"model":"e","input":[[1,2,3]]}"#).patches.isEmpty)
    }

    @Test func rejectingNamesTheKindsButNeverTheValues() throws {
        let pii = try PIIGuardrailHarness(#"{"action":"reject"}"#)
        let verdict = pii.request(PIIDocuments.chatRequest([("user", .string("my card \(Self.card)")), ("user", "and x@y.io, y@z.io")]))
        #expect(verdict.patches.isEmpty)
        #expect(verdict.rejection?.status == 400)
        let error = try verdict.rejectedError()
        #expect(error["code"] == "pii_detected")
        #expect(error["type"] == "invalid_request_error")
        let message = try #require(error["message"]?.stringValue)
        #expect(message == "PII detected in the request: email, card")
        #expect(!message.contains("4111") && !message.contains("x@y.io"))
    }

    @Test func aResponseIsRedactedOrRejected() throws {
        let redacting = try PIIGuardrailHarness()
        let response = #"""
            {"id":"r","object":"chat.completion","model":"m","choices":[
            {"index":0,"message":{"role":"assistant","content":"Call +1 415 555 2671."},"finish_reason":"stop"},
            {"index":1,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function",
            "function":{"name":"f","arguments":"{\"key\":\"AKIAIOSFODNN7EXAMPLE\"}"}}]},"finish_reason":"tool_calls"}]}
            """#
        let redacted = redacting.inspect(SY_PHASE_RESPONSE, response)
        #expect(try redacted.replacement(at: "/choices/0/message/content") == "Call [REDACTED:phone].")
        #expect(try redacted.replacement(at: "/choices/1/message/tool_calls/0/function/arguments") == #"{"key":"[REDACTED:aws_access_key]"}"#)

        let rejecting = try PIIGuardrailHarness(#"{"action":"reject"}"#)
        let rejected = rejecting.inspect(SY_PHASE_RESPONSE, PIIDocuments.chatResponse("it is \(Self.card)"))
        #expect(rejected.rejection?.status == 400)
        #expect(try rejected.rejectedError()["message"] == "PII detected in the response: card")
        #expect(rejecting.inspect(SY_PHASE_RESPONSE, PIIDocuments.chatResponse("nothing here")).rejection == nil)
    }

    @Test func detectorsCanBeSwitchedOffOrListed() throws {
        let text = "a@b.io \(Self.card)"
        #expect(try PIIGuardrailHarness(#"{"detectors":{"email":false}}"#).redactedMessage(text) == "a@b.io [REDACTED:card]")
        #expect(try PIIGuardrailHarness(#"{"detectors":["email"]}"#).redactedMessage(text) == "[REDACTED:email] \(Self.card)")
    }

    @Test func thePlaceholderNamesTheType() throws {
        let pii = try PIIGuardrailHarness(#"{"placeholder":"<{type} removed>"}"#)
        #expect(try pii.redactedMessage("x@y.io") == "<email removed>")
    }

    @Test func overlappingFindingsBecomeOneSpan() throws {
        // The bearer token and the OpenAI key cover the same bytes; one placeholder, no leftovers.
        let key = "sk-" + String(repeating: "Ab1", count: 16)
        #expect(try PIIGuardrailHarness().redactedMessage("Bearer \(key)") == "Bearer [REDACTED:openai_key]")
    }

    @Test func customPatternsAreDetectors() throws {
        let pii = try PIIGuardrailHarness(#"{"custom":[{"name":"employee_id","pattern":"\\bEMP-\\d{6}\\b"},{"name":"city","pattern":"(?i)zürich"}]}"#)
        #expect(try pii.redactedMessage("EMP-123456 lives in Zürich, EMP-12 does not") == "[REDACTED:employee_id] lives in [REDACTED:city], EMP-12 does not")
        let rejecting = try PIIGuardrailHarness(#"{"action":"reject","detectors":[],"custom":[{"name":"project","pattern":"Project (?:Falcon|Osprey)"}]}"#)
        #expect(try rejecting.request(PIIDocuments.chatRequest([("user", "status of Project Osprey?")])).rejectedError()["message"]
            == "PII detected in the request: project")
    }

    @Test func aCustomPatternThatDoesNotCompileIsAConfigError() throws {
        let library = try PIIGuardrailHarness.load()
        let error = try #require(throws: PluginLoadError.self) {
            try library.instantiate(name: "pii", configJSON: Array(#"{"custom":[{"name":"ticket","pattern":"TICKET-(\\d+"}]}"#.utf8))
        }
        #expect(error.kind == .configRejected)
        #expect(error.description.contains(#"custom pattern "ticket" does not compile: missing closing parenthesis at offset 11"#), "\(error)")
    }

    @Test func badConfigsAreRejectedWithTheReason() throws {
        let library = try PIIGuardrailHarness.load()
        func reason(_ config: String) -> String {
            do {
                _ = try library.instantiate(name: "pii", configJSON: Array(config.utf8))
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(reason(#"{"action":"block"}"#).contains(#"action must be "redact" or "reject", not "block""#))
        #expect(reason(#"{"detectors":{"emial":false}}"#).contains(#"unknown detector "emial""#))
        #expect(reason(#"{"detectors":[],"custom":[]}"#).contains("no detector is enabled"))
        #expect(reason(#"{"custom":[{"name":"email","pattern":"x"}]}"#).contains(#"custom pattern name "email" is already taken"#))
        #expect(reason(#"{"custom":[{"name":"has space","pattern":"x"}]}"#).contains("custom[0].name must be"))
        #expect(reason(#"{"redact":true}"#).contains(#"unknown config key "redact""#))
    }

    @Test func adversarialTextFinishesWithoutBacktrackingBlowups() throws {
        // Long runs of what every pattern starts with: digits, '+', '@', key prefixes.
        let noise = String(repeating: "+1 234 567 890 123 456 789 0@a.b sk-ant- AKIA DE89 ", count: 1200)
        let verdict = try PIIGuardrailHarness().request(PIIDocuments.chatRequest([("user", .string(noise))]))
        #expect(verdict.failure == nil)
    }

    @Test func aRunawayCustomPatternFailsTheInspectInsteadOfHanging() throws {
        let pii = try PIIGuardrailHarness(#"{"detectors":[],"custom":[{"name":"slow","pattern":"(a+)+$"}]}"#)
        let verdict = pii.request(PIIDocuments.chatRequest([("user", .string(String(repeating: "a", count: 40) + "!"))]))
        let failure = try #require(verdict.failure)
        #expect(failure.status == SY_E_INTERNAL)
        #expect(failure.message.contains("pattern slow failed: match limit exceeded"), "\(failure.message)")
    }

    @Test func concurrentInspectsShareNothingMutable() async throws {
        let pii = try PIIGuardrailHarness()
        let body = PIIDocuments.chatRequest([("user", .string("card \(Self.card), mail q@r.io, key AKIAIOSFODNN7EXAMPLE"))])
        let expected = "card [REDACTED:card], mail [REDACTED:email], key [REDACTED:aws_access_key]"
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    (0..<200).allSatisfy { _ in (try? pii.request(body).replacement(at: "/messages/0/content")) == expected }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }
}
