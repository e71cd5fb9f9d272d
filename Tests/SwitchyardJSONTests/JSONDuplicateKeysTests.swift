import SwitchyardJSON
import Testing

@Suite struct JSONDuplicateKeysTests {
    func duplicate(_ text: String) -> String? {
        Array(text.utf8).withUnsafeBytes { JSONValue.firstDuplicateKey(in: $0) }
    }

    @Test func findsARepeatedKeyAtAnyDepthAndNamesWhere() {
        #expect(duplicate(#"{"model":"m","messages":[1],"messages":[2]}"#) == "/messages")
        #expect(duplicate(#"{"messages":[{"role":"user"},{"content":"a", "content":"b"}]}"#) == "/messages/1/content")
        #expect(duplicate(#"{"a":{"b":[[{"x/y":1,"x/y":2}]]}}"#) == "/a/b/0/0/x~1y")
        // Escaped spellings of one key are the same key.
        #expect(duplicate(#"{"content":"a","\u0063ontent":"b"}"#) == "/content")
    }

    /// A client's object of many keys: each key is checked against the earlier ones through a
    /// hash set past a few keys, so 200,000 keys take a fraction of a second, not minutes.
    @Test func manyKeysAreCheckedInLinearTime() {
        let keys = (0..<200_000).map { #""k\#($0)":1"# }
        let started = ContinuousClock.now
        #expect(duplicate("{" + keys.joined(separator: ",") + "}") == nil)
        #expect(duplicate("{" + keys.joined(separator: ",") + #","k150000":2}"#) == "/k150000")
        #expect(duplicate(#"{"a":1,"b":2,"a":3}"#) == "/a")  // the linear part still finds one
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func documentsWithoutRepeatsAndNonObjectsPass() {
        #expect(duplicate(#"{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"user","content":"again"}]}"#) == nil)
        #expect(duplicate(#"[{"a":1},{"a":2}]"#) == nil)
        #expect(duplicate("not json") == nil)
        #expect(duplicate(#""just a string""#) == nil)
    }
}
