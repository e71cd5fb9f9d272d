import SwitchyardCore
import Testing

@testable import SwitchyardConfig

@Suite("Plain scalar resolution (YAML 1.2 core schema)")
struct ScalarResolutionTests {
    @Test("resolves", arguments: [
        ("", ScalarResolution.null), ("~", .null), ("null", .null), ("NULL", .null), ("Null", .null),
        ("true", .bool(true)), ("TRUE", .bool(true)), ("False", .bool(false)),
        ("0", .integer("0")), ("-0", .integer("0")), ("007", .integer("7")), ("+12", .integer("12")), ("-12", .integer("-12")),
        ("0x1f", .integer("31")), ("0o17", .integer("15")), ("0xFFFFFFFFFFFFFFFF", .integer("18446744073709551615")),
        ("123456789012345678901234567890", .integer("123456789012345678901234567890")),
        ("1.5", .float("1.5")), ("-1.5", .float("-1.5")), (".5", .float("0.5")), ("1.", .float("1.0")),
        ("1e3", .float("1.0e3")), ("2.5E-4", .float("2.5e-4")), ("00.25", .float("0.25")), ("+.5e+2", .float("0.5e+2")),
        (".inf", .nonFinite(".inf")), ("-.Inf", .nonFinite("-.Inf")), (".NaN", .nonFinite(".NaN")),
        ("yes", .string), ("off", .string), ("1_000", .string), ("0x", .string), ("0xZZ", .string), ("0o8", .string),
        ("0x1FFFFFFFFFFFFFFFFF", .string), ("1.2.3", .string), ("12:30", .string), (".", .string), ("+", .string),
        ("e3", .string), ("1e", .string), ("gpt-4o", .string),
    ])
    func resolves(text: String, expected: ScalarResolution) {
        #expect(ScalarResolution.resolve(text) == expected)
    }

    @Test("did-you-mean distances")
    func suggestions() {
        #expect(Suggestion.closest(to: "prot", in: ["host", "port"]) == "port")
        #expect(Suggestion.closest(to: "upstream_timout", in: ServerSection.keys) == "upstream_timeout")
        #expect(Suggestion.closest(to: "xyz", in: ServerSection.keys) == nil)
        #expect(Suggestion.editDistance(Array("kitten".unicodeScalars), Array("sitting".unicodeScalars)) == 3)
        #expect(Suggestion.editDistance(Array("ab".unicodeScalars), Array("ba".unicodeScalars)) == 1)
    }
}
