import CSwitchyardPlugin
import Testing

/// Each built-in detector of libGuardrailPII.so, positive and negative, through a chat request's
/// message (the redacted text comes back as a JSON Patch `replace`). Keys are assembled from
/// pieces so that no key-shaped literal sits in the repository.
@Suite struct PIIDetectorTests {
    let pii: PIIGuardrailHarness

    init() throws { pii = try PIIGuardrailHarness() }

    func expectRedacted(_ text: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try pii.redactedMessage(text) == expected, sourceLocation: sourceLocation)
    }

    func expectUntouched(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(try pii.redactedMessage(text) == nil, "\(text)", sourceLocation: sourceLocation)
    }

    @Test func emailAddresses() throws {
        try expectRedacted("write to jane.doe+news@mail.example.co.uk today", "write to [REDACTED:email] today")
        try expectRedacted("(a_b@x-y.io).", "([REDACTED:email]).")
        try expectUntouched("jane at example dot com, user@localhost, @handle, a@b.c")
    }

    @Test func aHugeDomainDoesNotExhaustTheMatcherSoOtherFindingsStillGo() throws {
        // 20 KB of "a." after an @ used to exhaust PCRE2's JIT stack: the inspect failed and
        // on_error decided (fail_open let the card below through).
        let text = "x@" + String(repeating: "a.", count: 10_000) + "1 and ann@example.com"
        let redacted = try #require(try pii.redactedMessage(text))
        #expect(redacted.hasSuffix(" and [REDACTED:email]"))
    }

    @Test func phoneNumbers() throws {
        try expectRedacted("call +44 20 7946 0958 now", "call [REDACTED:phone] now")
        try expectRedacted("US: (415) 555-2671 or 415.555.2671", "US: [REDACTED:phone] or [REDACTED:phone]")
        try expectRedacted("+14155552671", "[REDACTED:phone]")
        try expectRedacted("Paris 01 42 68 53 00, Berlin (030) 1234567", "Paris [REDACTED:phone], Berlin [REDACTED:phone]")
        try expectRedacted("mobile +49 (0)151-1234-5678.", "mobile [REDACTED:phone].")
    }

    @Test func plainNumbersDatesAndVersionsAreNotPhoneNumbers() throws {
        try expectUntouched("order 123456789012 shipped on 2024-03-15, see 01.02.2023 12:30")
        try expectUntouched("version 10.4.2-1, ip 192.168.100.200, total 1 234 567")
        try expectUntouched("+12 is a score, 0 1 2 3 are digits")
    }

    @Test func cardNumbersThatPassLuhn() throws {
        try expectRedacted("card 4111 1111 1111 1111 exp 12/27", "card [REDACTED:card] exp 12/27")
        try expectRedacted("mc 5555-5555-5555-4444, amex 378282246310005.", "mc [REDACTED:card], amex [REDACTED:card].")
        try expectRedacted("4012888888881881", "[REDACTED:card]")
    }

    @Test func cardShapedNumbersThatFailLuhnAreLeft() throws {
        try expectUntouched("card 4111 1111 1111 1112")
        try expectUntouched("tracking 1234567812345678, 0000 0000 0000 0000, pi 3.1415926535897932")
    }

    @Test func ibansWithAValidChecksum() throws {
        try expectRedacted("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [REDACTED:iban] please")
        try expectRedacted("GB82WEST12345698765432", "[REDACTED:iban]")
        try expectRedacted("to FR14 2004 1010 0505 0001 3M02 606.", "to [REDACTED:iban].")
    }

    @Test func ibansWithABadChecksumAreLeft() throws {
        try expectUntouched("IBAN DE88 3704 0044 0532 0130 00")
        try expectUntouched("GB82WEST12345698765433 and AB12 CDEF GHIJ")
    }

    @Test func providerKeys() throws {
        let body = String(repeating: "aB3xY9_-", count: 6)
        try expectRedacted("key=sk-" + "proj-" + body + " end", "key=[REDACTED:openai_key] end")
        try expectRedacted("OPENAI_API_KEY=sk-" + String(repeating: "Ab1", count: 16), "OPENAI_API_KEY=[REDACTED:openai_key]")
        try expectRedacted("x sk-" + "ant-api03-" + body + "AA", "x [REDACTED:anthropic_key]")
        try expectRedacted("AIza" + "SyD" + String(repeating: "k3_Z-", count: 6) + "ab\n", "[REDACTED:google_api_key]\n")
        try expectRedacted("aws AKIA" + "IOSFODNN7EXAMPLE ok, ASIA" + "ABCDEFGHIJ234567", "aws [REDACTED:aws_access_key] ok, [REDACTED:aws_access_key]")
        try expectRedacted("ghp_" + String(repeating: "a1B2", count: 9), "[REDACTED:github_token]")
        try expectRedacted("token github_" + "pat_11ABCDEFG0" + String(repeating: "x_Y1", count: 18), "token [REDACTED:github_token]")
        try expectRedacted("slack xoxb-" + "1234567890-0987654321-abcDEF", "slack [REDACTED:slack_token]")
    }

    @Test func bearerTokensKeepTheScheme() throws {
        let jwt = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl"
        try expectRedacted("Authorization: Bearer " + jwt + "\nAccept: */*", "Authorization: Bearer [REDACTED:bearer_token]\nAccept: */*")
        try expectRedacted("use bearer " + String(repeating: "Zz09", count: 8) + "==", "use bearer [REDACTED:bearer_token]")
    }

    @Test func keyLookalikesAreLeft() throws {
        try expectUntouched("task-force sk-short ask-me-anything AKIA12345 ghp_short xoxb- AIzaTooShort")
        try expectUntouched("the bearer of bad news, Bearer tokens are secret")
    }
}
