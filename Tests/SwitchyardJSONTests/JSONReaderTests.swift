import Testing
@testable import SwitchyardJSON

@Suite struct JSONReaderTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONValue.parse(#" {"a": [1, -2.5e3, true, false, null], "b": {"c": "d\n\u00e9\ud83d\ude00"}} "#)
        #expect(value["a"]?[0] == .number("1"))
        #expect(value["a"]?[1]?.doubleValue == -2500)
        #expect(value["a"]?[2] == true)
        #expect(value["a"]?[4] == .null)
        #expect(value["b"]?["c"]?.stringValue == "d\né😀")
    }

    @Test func keepsKeyOrderAndNumberText() throws {
        let text = #"{"z":1,"a":1.50,"m":[]}"#
        #expect(try JSONValue.parse(text).jsonText == text)
    }

    @Test(arguments: [
        ("", "unexpected end of input, expected a value at byte 0"),
        ("{", "unexpected end of input, expected an object key at byte 1"),
        (#"{"a" 1}"#, "unexpected '1', expected ':' at byte 5"),
        (#"{"a":1,}"#, "unexpected '}', expected an object key at byte 7"),
        ("[1 2]", "unexpected '2', expected ',' or ']' at byte 3"),
        ("01", "invalid number at byte 0"),
        ("1.", "invalid number at byte 0"),
        ("-", "unexpected '-', expected a value at byte 0"),
        ("nul", "unexpected 'n', expected a value at byte 0"),
        ("truex", "unexpected 't', expected a value at byte 0"),
        (#""abc"#, "unterminated string at byte 4"),
        ("\"a\tb\"", "raw control character in a string at byte 2"),
        (#""\x""#, "invalid escape at byte 1"),
        (#""\ud800""#, #"unpaired UTF-16 surrogate in \u escape at byte 1"#),
        (#""\u12G4""#, #"invalid \u escape at byte 1"#),
        ("{} {}", "unexpected data after the JSON value at byte 3"),
    ] as [(String, String)])
    func rejectsMalformedInput(input: String, message: String) {
        #expect(throws: JSONError.self) { try JSONValue.parse(input) }
        do { _ = try JSONValue.parse(input) } catch { #expect(error.description == message) }
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x22],              // truncated two-byte sequence
        [0x22, 0xC0, 0xAF, 0x22],        // overlong '/'
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
        [0x22, 0xFF, 0x22],
    ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        do {
            _ = try JSONValue.parse(bytes)
            Issue.record("accepted invalid UTF-8 \(bytes)")
        } catch {
            #expect(error.message.hasPrefix("invalid UTF-8"))
            #expect(error.offset == 1)
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONError("nesting deeper than 256", at: 256)) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: Never.self) { try JSONValue.parse(fine) }
    }

    @Test func writerEscapesWhatRFC8259Requires() {
        var writer = JSONWriter()
        writer.string("a\"b\\c\nd\u{01}é😀/")
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #""a\"b\\c\nd\u0001é😀/""#)
    }

    @Test func roundTripsThroughWriter() throws {
        let value: JSONValue = ["s": "x\ty", "n": 3, "a": [true, nil], "o": ["k": "v"]]
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    @Test func topLevelScanFindsMembersWithoutBuilding() throws {
        let body = Array(#"{"model" : "gpt-4o", "stream":true, "messages":[{"role":"user","content":"hi"}]}"#.utf8)
        let scan = try body.withUnsafeBytes { try TopLevelScan($0) }
        #expect(scan.members.map(\.key) == ["model", "stream", "messages"])
        let model = try #require(scan.range(of: "model"))
        #expect(String(decoding: body[model], as: UTF8.self) == #""gpt-4o""#)
        let stream = try #require(scan.range(of: "stream"))
        #expect(String(decoding: body[stream], as: UTF8.self) == "true")
    }

    @Test func topLevelScanRejectsNonObjectsAndBadNestedValues() {
        for (input, message) in [
            ("[1]", "unexpected '[', expected '{' (a JSON object) at byte 0"),
            ("", "empty body, expected a JSON object at byte 0"),
            (#"{"a":[1,}"#, "unexpected '}', expected a value at byte 8"),
        ] {
            let bytes = Array(input.utf8)
            do {
                _ = try bytes.withUnsafeBytes { try TopLevelScan($0) }
                Issue.record("accepted \(input)")
            } catch { #expect("\(error)" == message) }
        }
    }
}

/// The eight-bytes-at-a-time string scan must stop at exactly the same bytes as the slow path,
/// wherever in a word they fall.
@Suite struct WordAtATimeScanTests {
    @Test func specialBytesAreFoundAtEveryPositionOfAWord() throws {
        for position in 0..<20 {
            let prefix = String(repeating: "a", count: position)
            #expect(try JSONValue.parse("\"\(prefix)\\\"x\"").stringValue == prefix + "\"x")
            #expect(try JSONValue.parse("\"\(prefix)é😀 tail text\"").stringValue == prefix + "é😀 tail text")
            var bytes = Array("\"\(prefix)".utf8)
            bytes.append(0x01)
            bytes += Array("rest of it\"".utf8)
            do {
                _ = try JSONValue.parse(bytes)
                Issue.record("accepted a raw control character at \(position)")
            } catch {
                #expect(error == JSONError("raw control character in a string", at: position + 1))
            }
            var invalid = Array("\"\(prefix)".utf8)
            invalid.append(0xFF)
            invalid += Array("more\"".utf8)
            #expect(throws: JSONError("invalid UTF-8", at: position + 1)) { try JSONValue.parse(invalid) }
        }
    }

    @Test func longPlainStringsAndTheirEnd() throws {
        let text = String(repeating: "The quick brown fox. ", count: 50)
        #expect(try JSONValue.parse("\"\(text)\"").stringValue == text)
        #expect(throws: JSONError("unterminated string", at: text.utf8.count + 1)) { try JSONValue.parse("\"\(text)") }
    }
}
