import Testing
@testable import SwitchyardJSON

@Suite struct JSONPointerTests {
    /// RFC 6901 §5.
    static let document = #"""
        {"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4, "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8}
        """#

    @Test(arguments: [
        ("/foo", #"["bar","baz"]"#),
        ("/foo/0", #""bar""#),
        ("/", "0"),
        ("/a~1b", "1"),
        ("/c%d", "2"),
        ("/e^f", "3"),
        ("/g|h", "4"),
        (#"/i\j"#, "5"),
        (#"/k"l"#, "6"),
        ("/ ", "7"),
        ("/m~0n", "8"),
    ] as [(String, String)])
    func resolvesTheRFC6901Examples(pointer: String, expected: String) throws {
        let document = try JSONValue.parse(Self.document)
        let parsed = try JSONPointer(parsing: pointer)
        #expect(document.value(at: parsed)?.jsonText == expected)
        #expect(parsed.description == pointer)
    }

    @Test func theEmptyPointerIsTheWholeDocument() throws {
        let document = try JSONValue.parse(Self.document)
        #expect(try JSONPointer(parsing: "") == .root)
        #expect(document.value(at: .root) == document)
    }

    @Test func unescapesTildeZeroAfterTildeOne() throws {
        // "~01" is "~1" (a member named tilde-one), not "/".
        #expect(try JSONPointer(parsing: "/~01").tokens == ["~1"])
        #expect(try JSONPointer(parsing: "/a~1b/~0/").tokens == ["a/b", "~", ""])
        #expect(JSONPointer(tokens: ["a/b", "~1", ""]).description == "/a~1b/~01/")
    }

    @Test(arguments: [
        ("a", "a JSON Pointer must be empty or start with '/' at byte 0"),
        ("#/a", "a JSON Pointer must be empty or start with '/' at byte 0"),
        ("/a~", "'~' must be followed by '0' or '1' in a JSON Pointer at byte 2"),
        ("/a~2b", "'~' must be followed by '0' or '1' in a JSON Pointer at byte 2"),
    ] as [(String, String)])
    func rejectsMalformedPointers(text: String, message: String) {
        #expect(throws: JSONError.self) { try JSONPointer(parsing: text) }
        do { _ = try JSONPointer(parsing: text) } catch { #expect(error.description == message) }
    }

    @Test func boundsLengthAndDepth() throws {
        #expect(try JSONPointer(parsing: "/" + String(repeating: "a", count: JSONPointer.maximumLength - 1)).tokens.count == 1)
        #expect(throws: JSONError.self) { try JSONPointer(parsing: "/" + String(repeating: "a", count: JSONPointer.maximumLength)) }
        let deepest = String(repeating: "/0", count: JSONPointer.maximumDepth)
        #expect(try JSONPointer(parsing: deepest).tokens.count == JSONPointer.maximumDepth)
        #expect(throws: JSONError.self) { try JSONPointer(parsing: deepest + "/0") }
    }

    @Test func matchesArrayIndicesStrictly() throws {
        let document: JSONValue = ["a": [10, 20]]
        #expect(document.value(at: try JSONPointer(parsing: "/a/1")) == 20)
        for text in ["/a/01", "/a/-", "/a/2", "/a/-1", "/a/1e0", "/a/", "/a/99999999999999999999"] {
            #expect(document.value(at: try JSONPointer(parsing: text)) == nil, "\(text)")
        }
    }

    @Test func matchesNamesByCodePoints() throws {
        // Swift's == calls these equal (canonical equivalence); RFC 6901 does not.
        let document: JSONValue = ["\u{E9}": 1]
        #expect(document.value(at: JSONPointer(tokens: ["\u{E9}"])) == 1)
        #expect(document.value(at: JSONPointer(tokens: ["e\u{301}"])) == nil)
        #expect(JSONPointer(tokens: ["\u{E9}"]) != JSONPointer(tokens: ["e\u{301}"]))
    }

    @Test func aDuplicatedNameNamesNothing() throws {
        let document = try JSONValue.parse(#"{"a":1,"a":2,"b":3}"#)
        #expect(document.value(at: try JSONPointer(parsing: "/a")) == nil)
        #expect(document.value(at: try JSONPointer(parsing: "/b")) == 3)
    }
}
