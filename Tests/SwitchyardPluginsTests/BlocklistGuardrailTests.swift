import CSwitchyardPlugin
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// libGuardrailBlocklist.so through dlopen: matching rules, reject and redact in each phase,
/// holdback across chunks.
@Suite struct BlocklistGuardrailTests {
    static let library = "libGuardrailBlocklist.so"

    func blocklist(_ words: [String], action: String = "reject", extra: String = "") throws -> LoadedGuardrail {
        let list = JSONValue.array(words.map { .string($0) }).jsonText
        return try LoadedGuardrail.load(Self.library, config: #"{"words":\#(list),"action":"\#(action)"\#(extra)}"#)
    }

    func chat(_ texts: String...) -> JSONValue {
        ["model": "m", "messages": .array(texts.map { ["role": "user", "content": .string($0)] })]
    }

    /// The first message's text after the redacting patch (unchanged when there is none).
    func redacted(_ guardrail: LoadedGuardrail, _ text: String) throws -> String {
        let request = chat(text)
        let verdict = try guardrail.inspect(request, phase: SY_PHASE_REQUEST)
        guard let operations = verdict.operations else { return text }
        return try TestJSONPatch.apply(operations, to: request)["messages"]?[0]?["content"]?.stringValue ?? ""
    }

    // MARK: matching

    @Test(arguments: [
        ("say forbidden-word now", "say [redacted] now"),
        ("FORBIDDEN-Word!", "[redacted]!"),
        ("forbidden-words", "forbidden-words"),
        ("xforbidden-word", "xforbidden-word"),
        ("_forbidden-word", "_forbidden-word"),
        ("forbidden-word2", "forbidden-word2"),
        ("(forbidden-word)", "([redacted])"),
        ("forbidden-word forbidden-word", "[redacted] [redacted]"),
    ])
    func aTermMatchesCaseInsensitivelyOnWordBoundaries(_ text: String, _ expected: String) throws {
        #expect(try redacted(try blocklist(["forbidden-word"], action: "redact"), text) == expected)
    }

    @Test func aWordDoesNotMatchInsideALongerWord() throws {
        let guardrail = try blocklist(["forbidden"], action: "redact")
        #expect(try redacted(guardrail, "forbiddenword and unforbidden") == "forbiddenword and unforbidden")
        #expect(try redacted(guardrail, "Forbidden, forbidden.") == "[redacted], [redacted].")
    }

    @Test func lettersBeyondASCIIFoldAndBound() throws {
        let guardrail = try blocklist(["ÜBER", "ÉCOLE", "İstanbul"], action: "redact")
        #expect(try redacted(guardrail, "über alles, überall") == "[redacted] alles, überall")
        #expect(try redacted(guardrail, "l'École est là") == "l'[redacted] est là")
        #expect(try redacted(guardrail, "İSTANBUL and istanbulx") == "[redacted] and istanbulx")
        // A combining mark continues the word: "e" + U+0301 is not the end of "ecole".
        #expect(try redacted(try blocklist(["ecole"], action: "redact"), "ecole\u{301}") == "ecole\u{301}")
    }

    @Test func theLongestTermWinsAndPhrasesMatchAcrossSpaces() throws {
        let guardrail = try blocklist(["secret", "secret plan", "c++"], action: "redact", extra: #","placeholder":"***""#)
        #expect(try redacted(guardrail, "the Secret Plan and the secret") == "the *** and the ***")
        #expect(try redacted(guardrail, "I like c++, not c+") == "I like ***, not c+")
    }

    // MARK: request phase

    @Test func aRequestIsRejectedNamingTheMessageNotTheTerm() throws {
        let guardrail = try blocklist(["forbidden-word"])
        let request: JSONValue = ["model": "m", "messages": [
            ["role": "system", "content": "be nice"],
            ["role": "user", "content": ["type": "text", "text": "fine"]],
            ["role": "user", "content": [["type": "image_url", "image_url": ["url": "https://x/forbidden-word.png"]],
                                         ["type": "text", "text": "please say FORBIDDEN-WORD"]]],
        ]]
        let verdict = try guardrail.inspect(request, phase: SY_PHASE_REQUEST)
        #expect(verdict.rejections.count == 1 && verdict.rejections[0].status == 400)
        #expect(verdict.rejectionMessage == "message 2 contains a blocked term")
        #expect(verdict.rejectionCode == "content_blocked")
        #expect(verdict.rejections[0].body.jsonText.lowercased().contains("forbidden") == false)
        #expect(verdict.patches.isEmpty)
    }

    @Test func aCleanRequestIsAllowedWithoutAPatch() throws {
        let verdict = try (try blocklist(["forbidden"], action: "redact")).inspect(chat("all good", "nothing here"), phase: SY_PHASE_REQUEST)
        #expect(verdict.allowed)
    }

    @Test func theConfiguredMessageReplacesTheDefault() throws {
        let guardrail = try blocklist(["forbidden"], extra: #","message":"Please keep it clean.""#)
        let verdict = try guardrail.inspect(chat("forbidden"), phase: SY_PHASE_REQUEST)
        #expect(verdict.rejectionMessage == "Please keep it clean.")
    }

    @Test func redactionReplacesExactlyTheStringsThatChanged() throws {
        let guardrail = try blocklist(["forbidden"], action: "redact")
        let request: JSONValue = ["model": "m", "messages": [
            ["role": "system", "content": "forbidden topics: none"],
            ["role": "user", "content": "clean"],
            ["role": "user", "content": [["type": "text", "text": "a"], ["type": "text", "text": "b forbidden c"]]],
        ]]
        let verdict = try guardrail.inspect(request, phase: SY_PHASE_REQUEST)
        let operations = try #require(verdict.operations)
        #expect(operations == [
            ["op": "replace", "path": "/messages/0/content", "value": "[redacted] topics: none"],
            ["op": "replace", "path": "/messages/2/content/1/text", "value": "b [redacted] c"],
        ])
        let patched = try TestJSONPatch.apply(operations, to: request)
        #expect(patched["messages"]?[1]?["content"] == "clean")
    }

    @Test func embeddingsInputIsInspected() throws {
        let redact = try blocklist(["forbidden"], action: "redact")
        let single = try redact.inspect(["model": "e", "input": "forbidden fruit"], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS)
        #expect(single.operations == [["op": "replace", "path": "/input", "value": "[redacted] fruit"]])
        let reject = try blocklist(["forbidden"])
        let many = try reject.inspect(["model": "e", "input": ["ok", "also forbidden"]], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS)
        #expect(many.rejectionMessage == "input 1 contains a blocked term")
    }

    // MARK: response phase

    func completion(_ contents: JSONValue...) -> JSONValue {
        ["id": "x", "object": "chat.completion", "model": "m",
         "choices": .array(contents.enumerated().map { index, content in
             ["index": .number(index), "message": ["role": "assistant", "content": content], "finish_reason": "stop"]
         })]
    }

    @Test func aResponseIsRedactedOrRejectedByChoice() throws {
        let response = completion(nil, "it is Forbidden here")
        let redaction = try (try blocklist(["forbidden"], action: "redact")).inspect(response, phase: SY_PHASE_RESPONSE)
        #expect(redaction.operations == [["op": "replace", "path": "/choices/1/message/content", "value": "it is [redacted] here"]])
        let rejection = try (try blocklist(["forbidden"])).inspect(response, phase: SY_PHASE_RESPONSE)
        #expect(rejection.rejections.first?.status == 400)
        #expect(rejection.rejectionMessage == "the response (choice 1) contains a blocked term")
        #expect(try (try blocklist(["forbidden"])).inspect(completion("fine"), phase: SY_PHASE_RESPONSE).allowed)
    }

    // MARK: chunk phase

    @Test func aPhraseSplitOverThreeChunksIsRedacted() throws {
        let guardrail = try blocklist(["forbidden-word"], action: "redact")
        let stream = try StreamPlayback(guardrail, pieces: ["the for", "bidden-w", "ord is here"])
        #expect(stream.clientText == "the [redacted] is here")
        #expect(stream.delivered == ["the ", "", "[redacted] is here"])
        #expect(stream.heldBytes == [3, 11, 0])
    }

    @Test func aPhraseSplitOverThreeChunksIsRejected() throws {
        let guardrail = try blocklist(["forbidden-word"])
        let stream = try StreamPlayback(guardrail, pieces: ["the for", "bidden-w", "ord is here"])
        #expect(stream.rejection == "the response (choice 0) contains a blocked term")
        #expect(stream.clientText == "the ")
    }

    @Test func onlyTheTailThatCanStillMatchIsHeld() throws {
        let guardrail = try blocklist(["forbidden", "forbidden-word"], action: "redact")
        let cases: [(String, Int)] = [
            ("nothing to see", 0),
            ("say forbid", 6),  // a prefix of a term
            ("say forbidden", 9),  // a whole term whose next character may be a letter
            ("say forbidden-", 10),  // a prefix of the longer term
            ("xforbid", 0),  // cannot start a term: it follows a letter
            ("say forbidden!", 0),  // decided: redacted now
            ("say f", 1),
            ("say ", 0),
        ]
        for (text, held) in cases {
            let verdict = try guardrail.inspect(StreamPlayback.chunk(text, choice: 0), phase: SY_PHASE_CHUNK)
            #expect((verdict.holds.last ?? 0) == held, "\(text)")
        }
    }

    @Test func aHeldWordThatContinuesIsReleasedUnchanged() throws {
        let guardrail = try blocklist(["forbidden"], action: "redact")
        let stream = try StreamPlayback(guardrail, pieces: ["say forbidden", "word now"])
        #expect(stream.clientText == "say forbiddenword now")
        #expect(stream.heldBytes == [9, 0])
    }

    @Test func heldTextIsDecidedWhenTheStreamEnds() throws {
        let guardrail = try blocklist(["forbidden", "forbidden fruit"], action: "redact")
        let stream = try StreamPlayback(guardrail, pieces: ["eat the ", "forbidden"])
        #expect(stream.clientText == "eat the [redacted]")
        #expect(stream.heldBytes == [0, 9, 0])
    }

    @Test func aWordReleasedInAnEarlierChunkStillBoundsTheNext() throws {
        let guardrail = try blocklist(["forbidden"], action: "redact")
        let call = SwitchyardPlugins.PluginCall(source: FixedCallSource.shared)
        defer { call.end() }
        let joined = try StreamPlayback(guardrail, pieces: ["xyz", "forbidden now"], call: call.handle)
        #expect(joined.clientText == "xyzforbidden now")
        let spaced = try StreamPlayback(guardrail, pieces: ["xyz ", "forbidden now"], call: call.handle, choice: 1)
        #expect(spaced.clientText == "xyz [redacted] now")
        guardrail.guardrail.callEnded(call.handle)
        // After call_end the call's state is gone: a new window starts on a boundary.
        let after = try guardrail.inspect(StreamPlayback.chunk("forbidden now", choice: 0), phase: SY_PHASE_CHUNK, call: call.handle)
        #expect(after.operations != nil)
    }

    @Test func aChunkWithoutTextIsAllowed() throws {
        let chunk: JSONValue = ["object": "chat.completion.chunk", "choices": [["index": 0, "delta": ["role": "assistant"]]]]
        #expect(try (try blocklist(["x"])).inspect(chunk, phase: SY_PHASE_CHUNK).allowed)
    }

    // MARK: config

    @Test(arguments: [#"{}"#, #"{"words":[]}"#, #"{"words":[""]}"#, #"{"words":["  "]}"#, #"{"words":["a"],"action":"block"}"#,
                      #"{"words":["a"],"colour":"red"}"#, #"{"words":"a"}"#, #"{"words":["a"],"message":""}"#])
    func aBadConfigIsRefusedBySchemaAndByInstanceNew(_ config: String) throws {
        let library = try PluginLibrary.load(path: Fixtures.product(Self.library), entry: "blocklist")
        let schema = try #require(library.configSchema)
        #expect(schema.violation(in: try JSONValue.parse(config)) != nil)
        #expect(throws: PluginLoadError.self) { try library.instantiate(name: "blocklist", configJSON: Array(config.utf8)) }
    }

    @Test func aGoodConfigPassesTheSchema() throws {
        let library = try PluginLibrary.load(path: Fixtures.product(Self.library), entry: "blocklist")
        let config = #"{"words":["a","b c"],"action":"redact","placeholder":"","message":"no"}"#
        #expect(try #require(library.configSchema).violation(in: try JSONValue.parse(config)) == nil)
        _ = try library.instantiate(name: "blocklist", configJSON: Array(config.utf8))
    }
}
