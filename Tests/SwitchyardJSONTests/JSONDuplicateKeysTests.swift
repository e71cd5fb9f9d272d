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

    @Test func documentsWithoutRepeatsAndNonObjectsPass() {
        #expect(duplicate(#"{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"user","content":"again"}]}"#) == nil)
        #expect(duplicate(#"[{"a":1},{"a":2}]"#) == nil)
        #expect(duplicate("not json") == nil)
        #expect(duplicate(#""just a string""#) == nil)
    }
}
