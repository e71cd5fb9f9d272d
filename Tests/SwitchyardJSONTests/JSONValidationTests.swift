import Testing
@testable import SwitchyardJSON

/// The fast validator must accept exactly what `JSONReader` accepts: checked on hand-picked edge
/// cases and on many mutations of real documents, against the reader.
@Suite struct JSONValidationTests {
    /// The reference: one JSON object by `JSONReader`.
    static func readerAccepts(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var reader = JSONReader(raw)
            reader.skipWhitespace()
            guard reader.peek() == UInt8(ascii: "{") else { return false }
            do {
                try reader.skipValue()
                try reader.expectEnd()
                return true
            } catch {
                return false
            }
        }
    }

    static func fastAccepts(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBytes { JSONValidation.isObject($0) } }

    static let seeds: [String] = [
        #"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello \"world\"\n\u00e9 \ud83d\ude00 日本"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":18,"completion_tokens":14,"total_tokens":32,"prompt_tokens_details":{"cached_tokens":0}}}"#,
        #" { "a" : [ 1 , -2.5e+3 , 0.0 , 1E-2 , true , false , null , [ ] , { } ] , "b" : { "c" : "d\/\b\f\r\t" } } "#,
        #"{"choices":[{"delta":{"content":"a long enough string to take the eight-byte path twice over"}}]}"#,
        "{\"multi\":\"é ✓ 😀 \u{10FFFF}\",\"n\":-0}",
    ]

    @Test(arguments: [
        ("{}", true), (" {}\n", true), ("\t{\r\n}", true), ("", false), ("   ", false), ("[]", false), ("1", false), (#""s""#, false),
        (#"{"a":1}{}"#, false), (#"{"a":1,}"#, false), (#"{"a":1 "b":2}"#, false), (#"{"a"}"#, false), (#"{1:2}"#, false),
        (#"{"a":01}"#, false), (#"{"a":1.}"#, false), (#"{"a":.5}"#, false), (#"{"a":-}"#, false), (#"{"a":1e}"#, false),
        (#"{"a":1e+}"#, false), (#"{"a":-0.0e-0}"#, true), (#"{"a":1x}"#, false), (#"{"a":1.5.2}"#, false),
        (#"{"a":tru}"#, false), (#"{"a":truex}"#, false), (#"{"a":nulll}"#, false), (#"{"a":False}"#, false),
        (#"{"a":"\u0041"}"#, true), (#"{"a":"\ud83d\ude00"}"#, true), (#"{"a":"\ud83d"}"#, false), (#"{"a":"\ude00"}"#, false),
        (#"{"a":"\ud83d\u0041"}"#, false), (#"{"a":"\ud83dx"}"#, false), (#"{"a":"\u12G4"}"#, false), (#"{"a":"\x"}"#, false),
        (#"{"a":"\u004"}"#, false), (#"{"a":"abc}"#, false), ("{\"a\":\"tab\there\"}", false), ("{\"a\":\"nul\u{0}\"}", false),
        (#"{"a":[1,2,]}"#, false), (#"{"a":[,1]}"#, false), (#"{"a":[1 2]}"#, false), (#"{"a":{"b":}}"#, false),
        (#"{"a":]"#, false), (#"{"a":[}"#, false), (#"{"a":{]}"#, false), (#"{"a":1"#, false), ("{\"a\":1}\u{0}", false),
    ] as [(String, Bool)])
    func edgeCasesMatchTheReader(_ text: String, _ expected: Bool) {
        let bytes = Array(text.utf8)
        #expect(Self.readerAccepts(bytes) == expected, "reader on \(text)")
        #expect(Self.fastAccepts(bytes) == expected, "fast on \(text)")
    }

    @Test func invalidUTF8IsRefusedAtEveryPositionOfTheWordLoop() {
        let bad: [[UInt8]] = [[0xFF], [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x9F, 0x80], [0xED, 0xA0, 0x80],
                              [0xF0, 0x8F, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0xC3]]
        let good: [[UInt8]] = [[0xC3, 0xA9], [0xE2, 0x9C, 0x93], [0xF0, 0x9F, 0x98, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xEF, 0xBF, 0xBF]]
        for prefix in 0..<17 {
            for sequence in bad + good {
                let bytes = Array(#"{"a":""#.utf8) + Array(repeating: UInt8(ascii: "x"), count: prefix) + sequence + Array(#"yz"}"#.utf8)
                #expect(Self.fastAccepts(bytes) == Self.readerAccepts(bytes), "\(prefix) \(sequence)")
                #expect(Self.fastAccepts(bytes) == good.contains(sequence))
            }
        }
    }

    @Test func nestingIsBoundedLikeTheReader() {
        func nested(_ depth: Int) -> [UInt8] {
            // depth containers in all: the object, then arrays.
            Array(#"{"a":"#.utf8) + Array(repeating: UInt8(ascii: "["), count: depth - 1) + Array(repeating: UInt8(ascii: "]"), count: depth - 1) + [UInt8(ascii: "}")]
        }
        for depth in [1, 2, 64, 65, 128, 255, 256, 257, 300] {
            #expect(Self.fastAccepts(nested(depth)) == Self.readerAccepts(nested(depth)), "\(depth)")
        }
        #expect(Self.fastAccepts(nested(JSONReader.maximumDepth)) && !Self.fastAccepts(nested(JSONReader.maximumDepth + 1)))
        // Objects and arrays interleaved across the 64-level word boundary keep their kinds.
        var mixed: [UInt8] = []
        for level in 0..<100 { mixed += Array((level % 3 == 0 ? #"{"k":"# : "[").utf8) }
        mixed += Array("1".utf8)
        for level in (0..<100).reversed() { mixed += Array((level % 3 == 0 ? "}" : "]").utf8) }
        #expect(Self.fastAccepts(mixed) && Self.readerAccepts(mixed))
    }

    /// Random single-byte changes, insertions, deletions and cuts of the seeds: both validators
    /// agree on every one (a deterministic generator, so a failure reproduces).
    @Test func mutationsAreJudgedLikeTheReader() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        let alphabet = Array(#"{}[]":,\ -+.0123456789eEtrufalsn"#.utf8) + [0x00, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        var disagreements: [String] = []
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = Array(Self.seeds[round % Self.seeds.count].utf8)
            for _ in 0..<(1 + next(3)) {
                let at = next(bytes.count)
                switch next(4) {
                case 0: bytes[at] = alphabet[next(alphabet.count)]
                case 1: bytes.insert(alphabet[next(alphabet.count)], at: at)
                case 2: bytes.remove(at: at)
                default: bytes = Array(bytes[..<at])
                }
                if bytes.isEmpty { break }
            }
            let reader = Self.readerAccepts(bytes), fast = Self.fastAccepts(bytes)
            if reader { accepted += 1 }
            if reader != fast || !Self.topLevelScansAgree(bytes) { disagreements.append("\(bytes)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(3))")
        #expect(accepted > 100)  // the mutations keep some inputs valid, so both sides are exercised
        for seed in Self.seeds { #expect(Self.fastAccepts(Array(seed.utf8))) }
    }

    /// TopLevelScan on the scanner and on the reader: the same members, or the same error.
    static func topLevelScansAgree(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            func members(_ scan: () throws(JSONError) -> TopLevelScan) -> Result<[String], JSONError> {
                do throws(JSONError) { return .success(try scan().members.map { "\($0.key)=\($0.value)" }) } catch { return .failure(error) }
            }
            return members { () throws(JSONError) in try TopLevelScan(raw) } == members { () throws(JSONError) in try TopLevelScan(reading: raw) }
        }
    }

    @Test func topLevelScanUnescapesKeysAsBefore() throws {
        let text = #"{"pla\u0069n":1,"esc\"aped":[2],"\ud83d\ude00":{}}"#
        #expect(Self.topLevelScansAgree(Array(text.utf8)))
        let scan = try Array(text.utf8).withUnsafeBytes { try TopLevelScan($0) }
        #expect(scan.members.map(\.key) == ["plain", "esc\"aped", "😀"])
        #expect(scan.range(of: "plain") == 14..<15)
    }

    @Test func membersAreTheTopLevelOnesInOrder() throws {
        let text = #"{"a":1,"b":{"c":[2,{"d":3}]},"e\"s":"x","f":[],"g":{}}"#
        var seen: [(String, Bool, String)] = []
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { raw in
            try JSONValidation.forEachMember(raw) { key, escaped, value in
                seen.append((String(decoding: key, as: UTF8.self), escaped, String(decoding: raw[value], as: UTF8.self)))
                return true
            }
        }
        #expect(seen.map(\.0) == ["a", "b", #"e\"s"#, "f", "g"])
        #expect(seen.map(\.1) == [false, false, true, false, false])
        #expect(seen.map(\.2) == ["1", #"{"c":[2,{"d":3}]}"#, #""x""#, "[]", "{}"])
    }

    @Test func errorsKeepTheReadersWords() {
        #expect(Array(#"{"a":1,}"#.utf8).withUnsafeBytes { JSONValidation.objectError($0) }?.description == "unexpected '}', expected an object key at byte 7")
        #expect(Array("".utf8).withUnsafeBytes { JSONValidation.objectError($0) }?.description == "empty, expected a JSON object at byte 0")
        #expect(Array("[1]".utf8).withUnsafeBytes { JSONValidation.objectError($0) }?.description == "unexpected '[', expected '{' (a JSON object) at byte 0")
    }
}
