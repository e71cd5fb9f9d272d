import CSwitchyardPlugin
import SwitchyardJSON
import Testing

/// The PII guardrail in the chunk phase: what it holds back of a window, and whole streams
/// played through `piiStream(_:through:)`, which does what the host does with held text.
@Suite struct PIIStreamTests {
    @Test func aWindowEndingInsideACardNumberHoldsFromWhereItStarts() throws {
        let verdict = try PIIGuardrailHarness().inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("... my card is 4111 1111"))
        #expect(verdict.holds == ["4111 1111".utf8.count])
        #expect(verdict.patches.isEmpty && verdict.rejection == nil)
    }

    @Test func aWindowEndingInAnOrdinaryWordHoldsNothingWithoutWordHolding() throws {
        let pii = try PIIGuardrailHarness(#"{"stream_hold_words":false}"#)
        for text in ["hello", "Sure, here is the plan.", "See you at 5 pm!", "bye\n"] {
            #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk(text)).holds.isEmpty, "\(text)")
        }
    }

    @Test func partialEmailsAndKeysAreHeld() throws {
        let pii = try PIIGuardrailHarness()
        #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("write to john.doe@exam")).holds == ["john.doe@exam".utf8.count])
        #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("key: sk-proj-abc")).holds == ["sk-proj-abc".utf8.count])
        #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("Authorization: Bearer eyJhbGciOi")).holds == ["Bearer eyJhbGciOi".utf8.count])
        // A complete-looking email at the very end may still grow (".com" → ".community").
        #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("mail a@b.co")).holds == ["a@b.co".utf8.count])
    }

    @Test func trailingWordsAreHeldByDefaultSoAnEmailSplitAtItsAtSignIsCaught() throws {
        let pii = try PIIGuardrailHarness()
        #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("say hello")).holds == [5])
        let (text, _) = try piiStream(["mail ", "john.doe", "@example", ".com please"], through: pii)
        #expect(text == "mail [REDACTED:email] please")
        // Without word holding the local part has gone out before the `@` arrives.
        let (leaky, _) = try piiStream(["mail ", "john.doe", "@example", ".com please"], through: try PIIGuardrailHarness(#"{"stream_hold_words":false}"#))
        #expect(leaky == "mail john.doe@example.com please")
    }

    @Test func aCardSplitAcrossThreeChunksComesOutRedacted() throws {
        let pii = try PIIGuardrailHarness()
        let (text, rejection) = try piiStream(["My card is 4111 ", "1111 1111", " 1111, thanks"], through: pii)
        #expect(rejection == nil)
        #expect(text == "My card is [REDACTED:card], thanks")
    }

    @Test func aCardSplitAcrossThreeChunksEndsARejectingStream() throws {
        let pii = try PIIGuardrailHarness(#"{"action":"reject"}"#)
        let (text, rejection) = try piiStream(["My card is 4111 ", "1111 1111", " 1111, thanks"], through: pii)
        #expect(text == "My card is ", "nothing of the number went out")
        #expect(rejection?["code"] == "pii_detected")
        #expect(rejection?["message"] == "PII detected in the streamed response: card")
    }

    @Test func tokenSizedPiecesOfSecretsAreRedacted() throws {
        let pii = try PIIGuardrailHarness()
        let key = "sk-" + "proj-" + String(repeating: "Zq7_", count: 10)
        var pieces: [String] = ["Your key is "]
        var rest = Substring(key)
        while !rest.isEmpty {
            pieces.append(String(rest.prefix(3)))
            rest = rest.dropFirst(3)
        }
        pieces += [" and IBAN DE89", " 3704 0044", " 0532 0130 00", ". Call +44 20", " 7946 0958."]
        let (text, _) = try piiStream(pieces, through: pii)
        #expect(text == "Your key is [REDACTED:openai_key] and IBAN [REDACTED:iban]. Call [REDACTED:phone].")
    }

    @Test func theEndOfAStreamJudgesTheHeldTextAsFinal() throws {
        let pii = try PIIGuardrailHarness()
        // The host refuses to hold: the window is the last of the choice.
        let last = pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("card 4111 1111 1111 1111"), holdAnswer: SY_E_UNSUPPORTED)
        #expect(last.holds == ["4111 1111 1111 1111".utf8.count])
        #expect(try last.replacement(at: "/choices/0/delta/content") == "card [REDACTED:card]")
        let (text, _) = try piiStream(["contact: a@b.io"], through: pii)
        #expect(text == "contact: [REDACTED:email]")
    }

    @Test func completeFindingsBeforeTheHeldTailAreRedactedNow() throws {
        let pii = try PIIGuardrailHarness()
        let verdict = pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("x@y.io, then 4111"))
        #expect(verdict.holds == [4])
        #expect(try verdict.replacement(at: "/choices/0/delta/content") == "[REDACTED:email], then 4111")
    }

    @Test func customPatternsHoldWithTheirLookbehind() throws {
        let pii = try PIIGuardrailHarness(#"{"detectors":[],"custom":[{"name":"pin","pattern":"(?<=PIN )\\d{4}\\b"}]}"#)
        #expect(pii.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk("your PIN 12")).holds == ["PIN 12".utf8.count])
        let (text, _) = try piiStream(["your PIN 12", "34 ok"], through: pii)
        #expect(text == "your PIN [REDACTED:pin] ok")
    }
}
