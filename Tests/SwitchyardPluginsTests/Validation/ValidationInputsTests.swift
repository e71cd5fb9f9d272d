import CSwitchyardPlugin
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// What the validator derives and reads: bad configs from a schema, fixtures from a file, the
/// command line, and the summary two provider outputs are compared by.
@Suite struct ValidationInputsTests {
    @Test func badConfigsFromASchema() throws {
        let schema = try JSONValue.parse(#"""
            {"type":"object","additionalProperties":false,"required":["base_url"],
             "properties":{"base_url":{"type":"string"},"retries":{"type":"integer"},"ratio":{"type":"number"},
                           "any":{},"tags":{"type":["array","null"]}}}
            """#)
        let good = try JSONValue.parse(#"{"base_url":"http://x","retries":2}"#)
        let cases = BadConfigs.derive(schema: schema, good: good)
        let byName = Dictionary(uniqueKeysWithValues: cases.map { ($0.name, $0.config) })
        #expect(byName["not an object (an array)"] == .array([]))
        #expect(byName["\"base_url\" of the wrong type (an object)"]?["base_url"]?.objectValue != nil)
        #expect(byName["\"retries\" of the wrong type (an object)"]?["retries"]?.objectValue != nil)
        // A number property takes integers: its wrong value is not 7.
        #expect(byName["\"ratio\" of the wrong type (an object)"] != nil)
        #expect(byName.keys.contains { $0.contains("\"tags\" of the wrong type") })
        #expect(!byName.keys.contains { $0.contains("\"any\"") }, "a property without a type takes anything")
        #expect(byName["required \"base_url\" missing"]?["base_url"] == nil)
        #expect(byName["required \"base_url\" missing"]?["retries"] == .number("2"))
        #expect(byName["unknown key \"validator_unknown_key\""]?["validator_unknown_key"] == .bool(true))
        // Every derived config is one the host's own schema check refuses.
        let checker = try ConfigSchema(schema)
        for bad in cases { #expect(checker.violation(in: bad.config) != nil, "\(bad.name)") }
        #expect(checker.violation(in: good) == nil)
    }

    @Test func withoutASchemaOnlyNonObjects() {
        #expect(BadConfigs.derive(schema: nil, good: .object(JSONObject())).map(\.name) == [
            "not an object (an array)", "not an object (a string)", "not an object (null)",
        ])
    }

    @Test func fixtureFiles() throws {
        let fixture = try UpstreamFixture.parse(fileNamed: "own.json", #"{"stream":true,"body":"data: {}\n\n"}"#)
        #expect(fixture.name == "own.json" && fixture.stream && fixture.status == 200 && fixture.purpose == .chat)
        #expect(fixture.contentType == "text/event-stream")
        #expect(fixture.body == Array("data: {}\n\n".utf8))
        let error = try UpstreamFixture.parse(fileNamed: "e.json", #"{"name":"e","purpose":"error","body":"<html>"}"#)
        #expect(error.status == 500 && error.purpose == .error && error.name == "e")
        for (text, says) in [
            ("[]", "a fixture is a JSON object"), ("{}", "\"body\" (a string) is required"), ("{", "not JSON"),
            (#"{"body":"x","status":99}"#, "\"status\" must be an HTTP status"), (#"{"body":"x","purpose":"other"}"#, "\"purpose\" must be"),
            (#"{"body":"x","stream":"yes"}"#, "\"stream\" must be true or false"),
        ] {
            #expect(throws: UpstreamFixture.FixtureError.self) { try UpstreamFixture.parse(fileNamed: "f.json", text) }
            do { _ = try UpstreamFixture.parse(fileNamed: "f.json", text) } catch { #expect(error.description.contains(says), "\(text): \(error)") }
        }
    }

    @Test func builtInFixturesAreWhatTheyClaim() throws {
        for fixture in UpstreamFixtures.all where !fixture.stream && fixture.contentType == "application/json" {
            #expect(throws: Never.self) { try JSONValue.parse(fixture.body) }
        }
        #expect(UpstreamFixtures.chat.filter(\.stream).count == 3)
        #expect(UpstreamFixtures.errors.map(\.status) == [429, 500, 502])
    }

    @Test func commandLine() throws {
        let options = try ValidationOptions.parse(["/p.so", "--config", #"{"a":1}"#, "--seed", "7", "--timeout", "2.5", "--fixture", "f.json"], defaultSeed: 1)
        #expect(options.path == "/p.so" && options.config == #"{"a":1}"# && options.seed == 7 && options.timeoutSeconds == 2.5)
        #expect(options.fixtureFiles == ["f.json"])
        #expect(try ValidationOptions.parse(options.arguments(from: 3), defaultSeed: 1).from == 3)
        #expect(try ValidationOptions.parse(["/p.so"], defaultSeed: 9).seed == 9)
        // A minute per check by default: two shared CI cores take tens of seconds for leak.calls.
        #expect(try ValidationOptions.parse(["/p.so"], defaultSeed: 9).timeoutSeconds == 60)
        #expect(try ValidationOptions.parse(["/p.so"], defaultSeed: 9).config == "{}")
        for bad in [[], ["/p.so", "--config"], ["/p.so", "--config", "{x"], ["/p.so", "--config", "3"], ["a.so", "b.so"], ["/p.so", "--timeout", "-1"]] {
            #expect(throws: ValidationOptions.UsageError.self) { try ValidationOptions.parse(bad, defaultSeed: 1) }
        }
    }

    @Test func everyHostMinorHasATableSize() {
        for minor in 0...SY_ABI_MINOR {
            let size = NegotiationChecks.hostTableSize(minor: minor)
            #expect(size != nil, "1.\(minor)")
            #expect((size ?? 0) <= MemoryLayout<sy_host_api>.size)
        }
        #expect(NegotiationChecks.hostTableSize(minor: SY_ABI_MINOR) == MemoryLayout<sy_host_api>.size)
        #expect(NegotiationChecks.hostTableSize(minor: 0) == MemoryLayout<sy_host_api>.offset(of: \sy_host_api.call_route)! + 8)
        #expect(NegotiationChecks.hostTableSize(minor: SY_ABI_MINOR + 1) == nil)
    }

    @Test func outputSummariesIgnoreIdsAndTimestampsButNotContent() {
        func chunk(_ id: String, _ text: String?, finish: String? = nil) -> (kind: UInt32, bytes: [UInt8]) {
            let content = text.map { #","delta":{"content":"\#($0)"}"# } ?? #","delta":{}"#
            let reason = finish.map { #""\#($0)""# } ?? "null"
            return (SY_OUT_JSON, Array(#"{"id":"\#(id)","created":\#(id.count),"choices":[{"index":0\#(content),"finish_reason":\#(reason)}]}"#.utf8))
        }
        let usage = (kind: SY_OUT_META_JSON, bytes: Array(#"{"usage":{"prompt_tokens":3,"completion_tokens":2}}"#.utf8))
        let usageReordered = (kind: SY_OUT_META_JSON, bytes: Array(#"{"usage":{"completion_tokens":2,"prompt_tokens":3}}"#.utf8))
        let a = ProviderOutputSummary([chunk("a", "Hel"), chunk("a", "lo"), chunk("a", nil, finish: "stop"), usage])
        let b = ProviderOutputSummary([chunk("bbbb", "Hello"), chunk("bbbb", nil, finish: "stop"), usageReordered])
        #expect(a == b)
        #expect(a.content == "Hello" && a.finishReason == "stop" && a.hasContent)
        #expect(a != ProviderOutputSummary([chunk("a", "Hello"), usage]), "no finish reason")
        #expect(a != ProviderOutputSummary([chunk("a", "Hell"), chunk("a", nil, finish: "stop"), usage]))
        let error = ProviderOutputSummary([(SY_OUT_ERROR_JSON, Array(#"{"error":{"message":"x"}}"#.utf8))])
        #expect(error.errorWritten && !error.hasContent)
    }
}
