import Testing
@testable import SwitchyardJSON

@Suite struct JSONPatchTests {
    static func patched(_ document: String, _ patch: String) throws -> JSONValue {
        try JSONValue.parse(document).applyingPatch(JSONPatch(parsing: patch))
    }

    /// The error applying `patch` to `document` throws, parsing included.
    static func failure(_ document: String, _ patch: String) -> JSONPatchError? {
        do {
            let value = try JSONValue.parse(document)
            _ = try value.applyingPatch(JSONPatch(parsing: patch))
            return nil
        } catch let error as JSONPatchError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    // MARK: RFC 6902 appendix A

    /// (section, document, patch, result or nil for an error).
    @Test(arguments: [
        ("A.1", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux"}]"#, #"{"baz":"qux","foo":"bar"}"#),
        ("A.2", #"{"foo":["bar","baz"]}"#, #"[{"op":"add","path":"/foo/1","value":"qux"}]"#, #"{"foo":["bar","qux","baz"]}"#),
        ("A.3", #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"remove","path":"/baz"}]"#, #"{"foo":"bar"}"#),
        ("A.4", #"{"foo":["bar","qux","baz"]}"#, #"[{"op":"remove","path":"/foo/1"}]"#, #"{"foo":["bar","baz"]}"#),
        ("A.5", #"{"baz":"qux","foo":"bar"}"#, #"[{"op":"replace","path":"/baz","value":"boo"}]"#, #"{"baz":"boo","foo":"bar"}"#),
        (
            "A.6", #"{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}"#,
            #"[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]"#,
            #"{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}"#
        ),
        (
            "A.7", #"{"foo":["all","grass","cows","eat"]}"#, #"[{"op":"move","from":"/foo/1","path":"/foo/3"}]"#,
            #"{"foo":["all","cows","eat","grass"]}"#
        ),
        (
            "A.8", #"{"baz":"qux","foo":["a",2,"c"]}"#,
            #"[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]"#,
            #"{"baz":"qux","foo":["a",2,"c"]}"#
        ),
        ("A.9", #"{"baz":"qux"}"#, #"[{"op":"test","path":"/baz","value":"bar"}]"#, nil),
        (
            "A.10", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/child","value":{"grandchild":{}}}]"#,
            #"{"foo":"bar","child":{"grandchild":{}}}"#
        ),
        ("A.11", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","xyz":123}]"#, #"{"foo":"bar","baz":"qux"}"#),
        ("A.12", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz/bat","value":"qux"}]"#, nil),
        ("A.13", #"{"foo":"bar"}"#, #"[{"op":"add","path":"/baz","value":"qux","op":"remove"}]"#, nil),
        ("A.14", #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":10}]"#, #"{"/":9,"~1":10}"#),
        ("A.15", #"{"/":9,"~1":10}"#, #"[{"op":"test","path":"/~01","value":"10"}]"#, nil),
        ("A.16", #"{"foo":["bar"]}"#, #"[{"op":"add","path":"/foo/-","value":["abc","def"]}]"#, #"{"foo":["bar",["abc","def"]]}"#),
    ] as [(String, String, String, String?)])
    func appliesTheRFC6902Examples(section: String, document: String, patch: String, result: String?) throws {
        guard let result else {
            #expect(Self.failure(document, patch) != nil, "\(section)")
            return
        }
        let value = try Self.patched(document, patch)
        #expect(value.isEqual(byValue: try JSONValue.parse(result)), "\(section): \(value.jsonText)")
    }

    @Test func parsesEveryOperation() throws {
        let patch = try JSONPatch(
            parsing: #"""
                [{"op":"add","path":"/a","value":null}, {"op":"remove","path":"/b"}, {"op":"replace","path":"","value":[]},
                 {"op":"move","from":"/c","path":"/d"}, {"op":"copy","from":"/e","path":"/f"}, {"op":"test","path":"/g","value":1}]
                """#)
        #expect(
            patch.operations == [
                .add(path: JSONPointer(tokens: ["a"]), value: nil), .remove(path: JSONPointer(tokens: ["b"])),
                .replace(path: .root, value: []), .move(from: JSONPointer(tokens: ["c"]), path: JSONPointer(tokens: ["d"])),
                .copy(from: JSONPointer(tokens: ["e"]), path: JSONPointer(tokens: ["f"])), .test(path: JSONPointer(tokens: ["g"]), value: 1),
            ])
        #expect(try JSONPatch(parsing: " [ ] ").operations.isEmpty)
    }

    // MARK: semantics

    @Test func keepsMemberOrder() throws {
        let document = #"{"a":1,"b":2,"c":3}"#
        #expect(try Self.patched(document, #"[{"op":"replace","path":"/b","value":9}]"#).jsonText == #"{"a":1,"b":9,"c":3}"#)
        #expect(try Self.patched(document, #"[{"op":"add","path":"/a","value":9}]"#).jsonText == #"{"a":9,"b":2,"c":3}"#)
        #expect(try Self.patched(document, #"[{"op":"add","path":"/z","value":9}]"#).jsonText == #"{"a":1,"b":2,"c":3,"z":9}"#)
        #expect(try Self.patched(document, #"[{"op":"move","from":"/a","path":"/a2"}]"#).jsonText == #"{"b":2,"c":3,"a2":1}"#)
        #expect(try Self.patched(document, #"[{"op":"remove","path":"/b"}]"#).jsonText == #"{"a":1,"c":3}"#)
    }

    @Test func operatesOnTheWholeDocument() throws {
        #expect(try Self.patched(#"{"a":1}"#, #"[{"op":"replace","path":"","value":[1]}]"#).jsonText == "[1]")
        #expect(try Self.patched(#"{"a":1}"#, #"[{"op":"add","path":"","value":"x"}]"#).jsonText == #""x""#)
        #expect(try Self.patched(#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":""}]"#).jsonText == #"{"b":1}"#)
        #expect(try Self.patched(#"{"a":1}"#, #"[{"op":"copy","from":"","path":"/b"}]"#).jsonText == #"{"a":1,"b":{"a":1}}"#)
        #expect(try Self.patched(#"{"a":1}"#, #"[{"op":"test","path":"","value":{"a":1.0}}]"#).jsonText == #"{"a":1}"#)
        #expect(try Self.patched("[]", #"[{"op":"add","path":"/-","value":1},{"op":"add","path":"/0","value":0}]"#).jsonText == "[0,1]")
    }

    @Test func movesAndCopies() throws {
        #expect(try Self.patched(#"{"a":[1,2,3]}"#, #"[{"op":"move","from":"/a/0","path":"/a/-"}]"#).jsonText == #"{"a":[2,3,1]}"#)
        #expect(try Self.patched(#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a","path":"/a"}]"#).jsonText == #"{"a":{"b":1}}"#)
        #expect(try Self.patched(#"{"a":{"b":1}}"#, #"[{"op":"move","from":"/a/b","path":"/b"}]"#).jsonText == #"{"a":{},"b":1}"#)
        // "/ab" is not inside "/a".
        #expect(try Self.patched(#"{"a":1}"#, #"[{"op":"move","from":"/a","path":"/ab"}]"#).jsonText == #"{"ab":1}"#)
        #expect(try Self.patched(#"{"a":[1],"b":{}}"#, #"[{"op":"copy","from":"/a","path":"/b/c"}]"#).jsonText == #"{"a":[1],"b":{"c":[1]}}"#)
        let copied = try Self.patched(#"{"a":[1]}"#, #"[{"op":"copy","from":"/a","path":"/b"},{"op":"add","path":"/b/-","value":2}]"#)
        #expect(copied.jsonText == #"{"a":[1],"b":[1,2]}"#)
    }

    @Test(arguments: [
        ("1", "1.0"), ("1", "1e0"), ("1", "10E-1"), ("100", "1e2"), ("100", "1E+2"), ("0", "-0"), ("0", "0.000e10"),
        ("-1.5", "-15e-1"), ("0.05", "5e-2"), ("12345678901234567890123", "1.2345678901234567890123e22"), ("1e0001", "10"),
    ] as [(String, String)])
    func testComparesNumbersByValue(lhs: String, rhs: String) {
        #expect(JSONValue.sameNumber(lhs, rhs))
        #expect(JSONValue.sameNumber(rhs, lhs))
    }

    @Test(arguments: [
        ("1", "2"), ("1", "-1"), ("9007199254740993", "9007199254740992"), ("0.1", "0.10000000000000001"), ("10", "1e-1"),
        ("1e9999999999999999", "1e9999999999999998"),
    ] as [(String, String)])
    func testTellsDifferentNumbersApart(lhs: String, rhs: String) {
        #expect(!JSONValue.sameNumber(lhs, rhs))
    }

    @Test func testComparesObjectsInAnyOrderAndStringsByCodePoints() throws {
        let document = #"{"a":{"x":1,"y":[1,{"p":true,"q":null}]},"s":"\u00e9"}"#
        _ = try Self.patched(document, #"[{"op":"test","path":"/a","value":{"y":[1.0,{"q":null,"p":true}],"x":1e0}}]"#)
        #expect(Self.failure(document, #"[{"op":"test","path":"/a","value":{"y":[{"q":null,"p":true},1],"x":1}}]"#)?.kind == .testFailed)
        #expect(Self.failure(document, #"[{"op":"test","path":"/a","value":{"x":1,"y":[1,{"p":true}]}}]"#)?.kind == .testFailed)
        #expect(Self.failure(document, #"[{"op":"test","path":"/a","value":{"x":1,"z":[1,{"p":true,"q":null}]}}]"#)?.kind == .testFailed)
        _ = try Self.patched(document, #"[{"op":"test","path":"/s","value":"\u00e9"}]"#)
        // Canonically equivalent, but other code points.
        #expect(Self.failure(document, #"[{"op":"test","path":"/s","value":"e\u0301"}]"#)?.kind == .testFailed)
    }

    // MARK: errors

    /// (document, patch, kind, the message an operator reads).
    @Test(arguments: [
        ("{}", "[", JSONPatchError.Kind.malformed, "the patch is not valid JSON: unexpected end of input, expected a value at byte 1"),
        ("{}", "", .malformed, "the patch is not valid JSON: unexpected end of input, expected a value at byte 0"),
        ("{}", "[] []", .malformed, "the patch is not valid JSON: unexpected data after the JSON value at byte 3"),
        ("{}", #"{"op":"add"}"#, .malformed, "a JSON Patch must be an array of operations, found an object"),
        ("{}", "[1]", .malformed, "operation 0: an operation must be a JSON object, found a number"),
        ("{}", #"[{"path":"/a"}]"#, .malformed, #"operation 0: missing "op""#),
        ("{}", #"[{"op":1,"path":"/a"}]"#, .malformed, #"operation 0: "op" must be a string, found a number"#),
        (
            "{}", #"[{"op":"ADD","path":"/a","value":1}]"#, .malformed,
            #"operation 0 (ADD /a): unknown op "ADD" (expected add, remove, replace, move, copy or test)"#
        ),
        ("{}", #"[{"op":"remove"}]"#, .malformed, #"operation 0 (remove): missing "path""#),
        ("{}", #"[{"op":"remove","path":1}]"#, .malformed, #"operation 0 (remove): "path" must be a string (a JSON Pointer), found a number"#),
        (
            "{}", #"[{"op":"remove","path":"a"}]"#, .malformed,
            #"operation 0 (remove a): "path": a JSON Pointer must be empty or start with '/' at byte 0"#
        ),
        (
            "{}", #"[{"op":"remove","path":"/a~2"}]"#, .malformed,
            #"operation 0 (remove /a~2): "path": '~' must be followed by '0' or '1' in a JSON Pointer at byte 2"#
        ),
        ("{}", #"[{"op":"move","path":"/a"}]"#, .malformed, #"operation 0 (move /a): missing "from""#),
        ("{}", #"[{"op":"copy","from":"/a"}]"#, .malformed, #"operation 0 (copy from /a): missing "path""#),
        ("{}", #"[{"op":"add","path":"/a"}]"#, .malformed, #"operation 0 (add /a): missing "value""#),
        ("{}", #"[{"op":"replace","path":"/a"}]"#, .malformed, #"operation 0 (replace /a): missing "value""#),
        ("{}", #"[{"op":"test","path":"/a"}]"#, .malformed, #"operation 0 (test /a): missing "value""#),
        ("{}", #"[{"op":"add","path":"/a","value":1,"path":"/b"}]"#, .malformed, #"operation 0 (add /b): "path" is given twice"#),
        (#"{"a":1}"#, #"[{"op":"remove","path":""}]"#, .malformed, #"operation 0 (remove ""): cannot remove the whole document"#),
        (
            #"{"a":{"b":{}}}"#, #"[{"op":"move","from":"/a","path":"/a/b/c"}]"#, .malformed,
            "operation 0 (move from /a to /a/b/c): cannot move a value into its own child"
        ),
        (#"{"a":{}}"#, #"[{"op":"remove","path":"/a/b"}]"#, .pathNotFound, "operation 0 (remove /a/b): no such member"),
        ("{}", #"[{"op":"add","path":"/a/b","value":1}]"#, .pathNotFound, "operation 0 (add /a/b): no such member at /a"),
        ("{}", #"[{"op":"replace","path":"/a","value":1}]"#, .pathNotFound, "operation 0 (replace /a): no such member"),
        (
            #"{"messages":[{},{},{}]}"#, #"[{"op":"replace","path":"/messages/5/content","value":""}]"#, .pathNotFound,
            "operation 0 (replace /messages/5/content): no such array index at /messages/5 (the array has 3 elements)"
        ),
        (
            #"{"messages":[{},{},{}]}"#, #"[{"op":"replace","path":"/messages/5","value":""}]"#, .pathNotFound,
            "operation 0 (replace /messages/5): no such array index (the array has 3 elements)"
        ),
        (#"{"a":[1]}"#, #"[{"op":"add","path":"/a/2","value":1}]"#, .pathNotFound, "operation 0 (add /a/2): no such array index (the array has 1 element)"),
        (
            #"{"a":[]}"#, #"[{"op":"remove","path":"/a/99999999999999999999"}]"#, .pathNotFound,
            "operation 0 (remove /a/99999999999999999999): no such array index (the array has 0 elements)"
        ),
        (
            #"{"a":[1,2]}"#, #"[{"op":"remove","path":"/a/01"}]"#, .pathNotFound,
            #"operation 0 (remove /a/01): not an array index (an index is 0 or digits without a leading zero, or "-" to append)"#
        ),
        (
            #"{"a":[1,2]}"#, #"[{"op":"replace","path":"/a/-","value":3}]"#, .pathNotFound,
            #"operation 0 (replace /a/-): "-" names no element, only the end of the array"#
        ),
        (#"{"a":"s"}"#, #"[{"op":"add","path":"/a/b","value":1}]"#, .pathNotFound, "operation 0 (add /a/b): /a is a string, not an object or array"),
        ("1", #"[{"op":"add","path":"/a","value":1}]"#, .pathNotFound, "operation 0 (add /a): the document is a number, not an object or array"),
        (#"{"a":1}"#, #"[{"op":"copy","from":"/x","path":"/y"}]"#, .pathNotFound, "operation 0 (copy from /x to /y): no such member at /x"),
        (#"{"a":1}"#, #"[{"op":"move","from":"/x","path":"/x"}]"#, .pathNotFound, "operation 0 (move from /x to /x): no such member at /x"),
        (
            #"{"a":1,"a":2}"#, #"[{"op":"replace","path":"/a","value":3}]"#, .ambiguousPath,
            "operation 0 (replace /a): the member name occurs more than once in its object"
        ),
        (
            #"{"a":{"b":1},"a":{}}"#, #"[{"op":"add","path":"/a/c","value":3}]"#, .ambiguousPath,
            "operation 0 (add /a/c): the member name occurs more than once in its object at /a"
        ),
        (#"{"a":1}"#, #"[{"op":"test","path":"/a","value":"1"}]"#, .testFailed, "operation 0 (test /a): test failed: found a number, expected a string"),
        (
            #"{"a":"secret"}"#, #"[{"op":"test","path":"/a","value":"other"}]"#, .testFailed,
            "operation 0 (test /a): test failed: found a different string"
        ),
        (
            #"{"a":[1,2]}"#, #"[{"op":"test","path":"/a","value":[1]}]"#, .testFailed,
            "operation 0 (test /a): test failed: found an array of 2 elements, expected 1"
        ),
        (
            #"{"a":1}"#, #"[{"op":"test","path":"/a","value":1},{"op":"remove","path":"/a"},{"op":"remove","path":"/a"}]"#, .pathNotFound,
            "operation 2 (remove /a): no such member"
        ),
    ] as [(String, String, JSONPatchError.Kind, String)])
    func explainsFailures(document: String, patch: String, kind: JSONPatchError.Kind, message: String) {
        let error = Self.failure(document, patch)
        #expect(error?.kind == kind)
        #expect(error?.description == message)
    }

    @Test func quotesUntrustedTextSafely() {
        let newline = Self.failure("{}", #"[{"op":"remove","path":"/a\nINFO forged line\u202e"}]"#)
        #expect(newline?.description == #"operation 0 (remove /a\u{a}INFO forged line\u{202e}): no such member"#)
        let long = Self.failure("{}", #"[{"op":"remove","path":"/"# + String(repeating: "x", count: 1000) + #""}]"#)
        #expect(long?.description == "operation 0 (remove /" + String(repeating: "x", count: 199) + "…): no such member")
    }

    @Test func leavesTheInputUnchangedOnFailure() throws {
        let original = try JSONValue.parse(#"{"a":1,"b":[1,2],"c":{"d":true}}"#)
        let patch = try JSONPatch(
            parsing: #"""
                [{"op":"add","path":"/z","value":3}, {"op":"remove","path":"/b/0"}, {"op":"replace","path":"/c/d","value":false},
                 {"op":"move","from":"/a","path":"/c/a"}, {"op":"test","path":"/z","value":4}]
                """#)
        let before = original.jsonText
        #expect(throws: JSONPatchError.self) { try original.applyingPatch(patch) }
        #expect(original.jsonText == before)
        do { _ = try patch.apply(to: original) } catch { #expect(error.operationIndex == 4) }
        // Without the failing test, every change lands.
        let applied = try original.applyingPatch(JSONPatch(Array(patch.operations.dropLast())))
        #expect(applied.jsonText == #"{"b":[2],"c":{"d":false,"a":1},"z":3}"#)
        #expect(original.jsonText == before)
    }

    // MARK: limits

    @Test func boundsTheNumberOfOperations() throws {
        func patch(_ count: Int) -> String { "[" + Array(repeating: #"{"op":"test","path":"","value":{}}"#, count: count).joined(separator: ",") + "]" }
        #expect(try JSONPatch(parsing: patch(JSONPatch.maximumOperations)).operations.count == JSONPatch.maximumOperations)
        let error = Self.failure("{}", patch(JSONPatch.maximumOperations + 1))
        #expect(error?.kind == .limitExceeded)
        #expect(error?.operationIndex == nil)
        #expect(error?.description == "the patch has more than 10000 operations")
    }

    @Test func boundsPointers() {
        let long = "/" + String(repeating: "a", count: JSONPointer.maximumLength)
        let tooLong = Self.failure("{}", #"[{"op":"remove","path":""# + long + #""}]"#)
        #expect(tooLong?.kind == .limitExceeded)
        #expect(tooLong?.reason == #""path": a JSON Pointer longer than 4096 bytes at byte 4096"#)
        let deep = String(repeating: "/0", count: JSONPointer.maximumDepth + 1)
        let tooDeep = Self.failure("{}", #"[{"op":"copy","path":"/a","from":""# + deep + #""}]"#)
        #expect(tooDeep?.kind == .limitExceeded)
        #expect(tooDeep?.reason == #""from": a JSON Pointer with more than 256 tokens at byte 512"#)
    }

    @Test func boundsCopying() throws {
        // Each copy of the document into itself doubles it: 2^40 values without the budget.
        let doubling = "[" + Array(repeating: #"{"op":"copy","from":"","path":"/-"}"#, count: 40).joined(separator: ",") + "]"
        let error = Self.failure("[1,2,3]", doubling)
        #expect(error?.kind == .limitExceeded)
        #expect(error?.reason == "the patch copies or moves more than 1000000 values in all")
        #expect((error?.operationIndex ?? 0) < 40)
        // Many small copies are fine.
        let small = "[" + Array(repeating: #"{"op":"copy","from":"/a","path":"/b"}"#, count: 1000).joined(separator: ",") + "]"
        #expect(try Self.patched(#"{"a":[1,2,3]}"#, small).jsonText == #"{"a":[1,2,3],"b":[1,2,3]}"#)
    }

    @Test func boundsTheSteps() throws {
        // New members for an object of 100,000: each add compares every name (a duplicate would be ambiguous).
        let wide = JSONValue.object(JSONObject((0..<100_000).map { (key: "member-\($0)", value: JSONValue.number($0)) }))
        let adds = try JSONPatch(parsing: "[" + (0..<1_000).map { #"{"op":"add","path":"/new-\#($0)","value":1}"# }.joined(separator: ",") + "]")
        do {
            _ = try wide.applyingPatch(adds)
            Issue.record("10^8 comparisons were allowed")
        } catch {
            #expect(error.kind == .limitExceeded)
            #expect(error.reason == "the patch takes more than 20000000 steps in all (members compared in lookups, array elements shifted)")
        }
        _ = try wide.applyingPatch(JSONPatch(Array(adds.operations.prefix(100))))
    }

    @Test func changesTheDocumentInPlace() throws {
        // Each append used to copy the array (a minute for this in a debug build); now milliseconds.
        let long: JSONValue = ["a": .array(Array(repeating: 1, count: 200_000))]
        let appends = try JSONPatch(parsing: "[" + Array(repeating: #"{"op":"add","path":"/a/-","value":2}"#, count: 10_000).joined(separator: ",") + "]")
        let clock = ContinuousClock()
        var result: JSONValue = nil
        let elapsed = try clock.measure { result = try long.applyingPatch(appends) }
        #expect(result["a"]?.arrayValue?.count == 210_000)
        #expect(long["a"]?.arrayValue?.count == 200_000)
        #expect(elapsed < .seconds(10))
    }

    @Test func boundsTheResultsNesting() throws {
        func nested(_ depth: Int) -> JSONValue { (0..<depth).reduce(JSONValue.null) { inner, _ in .array([inner]) } }
        let limit = JSONReader.maximumDepth
        let a = JSONPointer(tokens: ["a"])
        // Under "/a" (one level), a value may nest limit - 1 deep.
        _ = try JSONValue.object(JSONObject()).applyingPatch(JSONPatch([.add(path: a, value: nested(limit - 1))]))
        let tooDeep = JSONPatch([.add(path: a, value: nested(limit))])
        #expect(throws: JSONPatchError.self) { try JSONValue.object(JSONObject()).applyingPatch(tooDeep) }
        do { _ = try JSONValue.object(JSONObject()).applyingPatch(tooDeep) } catch {
            #expect(error.description == "operation 0 (add /a): the result would nest deeper than 256 levels")
        }
        #expect(throws: JSONPatchError.self) { try JSONValue.array([1]).applyingPatch(JSONPatch([.replace(path: JSONPointer(tokens: ["0"]), value: nested(limit))])) }

        // Moving or copying a deep value deeper.
        let document: JSONValue = ["a": nested(limit - 2), "b": ["c": ["d": [:]]]]
        _ = try document.applyingPatch(JSONPatch([.move(from: a, path: JSONPointer(tokens: ["b", "c"]))]))
        let deeper = JSONPointer(tokens: ["b", "c", "d", "e"])
        for operation in [JSONPatch.Operation.move(from: a, path: deeper), .copy(from: a, path: deeper)] {
            do {
                _ = try document.applyingPatch(JSONPatch([operation]))
                Issue.record("nested too deep: \(operation)")
            } catch {
                #expect(error.kind == .limitExceeded)
            }
        }
        // Moving it back up, and copying it to a place no deeper, is fine.
        _ = try document.applyingPatch(JSONPatch([.copy(from: a, path: JSONPointer(tokens: ["z"]))]))
    }
}
