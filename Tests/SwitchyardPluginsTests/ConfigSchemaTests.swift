import SwitchyardJSON
import SwitchyardPlugins
import Testing

@Suite struct ConfigSchemaTests {
    /// The openai provider's manifest schema, as Plugins/provider-openai/Entry.swift writes it.
    static let openAI = #"""
        {"type":"object","additionalProperties":false,"properties":{
        "base_url":{"type":"string","description":"Upstream base URL"},
        "flavor":{"enum":["openai","azure"]},
        "stream_usage":{"type":"boolean"},
        "api_key_env":{"type":["string","null"]},
        "default_max_tokens":{"type":"integer","minimum":1},
        "beta":{"type":"array","items":{"type":"string"}},
        "headers":{"type":"object","additionalProperties":{"type":"string"}}}}
        """#

    func schema(_ text: String) throws -> ConfigSchema {
        try ConfigSchema(try JSONValue.parse(text))
    }

    func violation(_ config: String, _ schemaText: String = openAI) throws -> ConfigSchema.Violation? {
        try schema(schemaText).violation(in: try JSONValue.parse(config))
    }

    @Test func aMatchingConfigHasNoViolation() throws {
        #expect(try violation(#"{}"#) == nil)
        #expect(try violation(#"{"base_url":"http://x/v1","flavor":"azure","stream_usage":false,"api_key_env":null,"#
            + #""default_max_tokens":8192,"beta":["a","b"],"headers":{"X-Team":"e2e"}}"#) == nil)
        #expect(try violation(#"{"default_max_tokens":2.0}"#) == nil, "an integral number is an integer (JSON Schema)")
    }

    @Test func anUnknownKeyPointsAtTheKeyAndSuggests() throws {
        let typo = try #require(try violation(#"{"base_url":"http://x","base_ur1":"y"}"#))
        #expect(typo == ConfigSchema.Violation(pointer: "/base_ur1", atKey: true, message: "unknown key (did you mean \"base_url\"?)"))
        let unknown = try #require(try violation(#"{"zzz":1}"#))
        #expect(unknown.atKey && unknown.message.hasPrefix("unknown key (known keys: base_url, flavor, stream_usage"))
        let none = try #require(try violation(#"{"x":1}"#, #"{"type":"object","additionalProperties":false}"#))
        #expect(none.message == "unknown key (this plugin takes no config keys)")
    }

    @Test func aWrongTypeNamesBothTypes() throws {
        #expect(try violation(#"{"base_url":42}"#)
            == ConfigSchema.Violation(pointer: "/base_url", atKey: false, message: "expected a string, got the number 42 (quote it to pass a string)"))
        #expect(try violation(#"{"api_key_env":true}"#)?.message == "expected a string or null, got true (quote it to pass a string)")
        #expect(try violation(#"{"stream_usage":"yes"}"#)?.message == #"expected a boolean, got the string "yes""#)
        #expect(try violation(#"{"default_max_tokens":1.5}"#)?.message == "expected an integer, got the number 1.5")
        #expect(try violation(#"[]"#)?.message == "expected an object, got an array")
    }

    @Test func nestedObjectsAndArraysPointAtTheItem() throws {
        #expect(try violation(#"{"headers":{"X-A":"1","X-B":2}}"#)?.pointer == "/headers/X-B")
        #expect(try violation(#"{"beta":["a",3]}"#)?.pointer == "/beta/1")
        #expect(try violation(#"{"headers":{"a/b~c":1}}"#)?.pointer == "/headers/a~1b~0c")
    }

    @Test func enumsAndBounds() throws {
        #expect(try violation(#"{"flavor":"azur"}"#)?.message == #"expected one of "openai", "azure", got the string "azur" (did you mean "azure"?)"#)
        #expect(try violation(#"{"default_max_tokens":0}"#)?.message == "must be at least 1")
        let bounded = #"{"type":"array","minItems":1,"maxItems":2,"uniqueItems":true,"items":{"type":"string","minLength":2,"maxLength":3,"pattern":"^[a-z]+$"}}"#
        #expect(try violation(#"[]"#, bounded)?.message == "must have at least 1 item")
        #expect(try violation(#"["ab","ab"]"#, bounded) == ConfigSchema.Violation(pointer: "/1", atKey: false, message: "repeats item 0"))
        #expect(try violation(#"["ab","cd","ef"]"#, bounded)?.message == "must have at most 2 items")
        #expect(try violation(#"["a"]"#, bounded)?.message == "must be at least 2 characters long")
        #expect(try violation(#"["Ab"]"#, bounded)?.message == #"the string "Ab" does not match the pattern ^[a-z]+$"#)
        #expect(try violation(#"5"#, #"{"exclusiveMaximum":5}"#)?.message == "must be less than 5")
        #expect(try violation(#""x""#, #"{"const":"y"}"#)?.message == #"expected "y", got the string "x""#)
    }

    @Test func requiredKeysAreCheckedAfterTheMembers() throws {
        let schema = #"{"type":"object","required":["text"],"additionalProperties":false,"properties":{"text":{"type":"string"}}}"#
        #expect(try violation(#"{}"#, schema) == ConfigSchema.Violation(pointer: "", atKey: false, message: "missing required key \"text\""))
        #expect(try violation(#"{"txt":"a"}"#, schema)?.message == "unknown key (did you mean \"text\"?)", "the typo, not the missing key")
    }

    @Test func combinatorsReportTheFormThatGotFurthest() throws {
        let schema = #"{"anyOf":[{"type":"integer"},{"type":"object","properties":{"n":{"type":"integer"}}}]}"#
        #expect(try violation(#"3"#, schema) == nil)
        #expect(try violation(#"{"n":"x"}"#, schema)?.pointer == "/n")
        #expect(try violation(#""x""#, schema)?.message
            == #"matches none of the allowed forms (expected an integer, got the string "x"; or expected an object, got the string "x")"#)
        #expect(try violation(#"1"#, #"{"oneOf":[{"type":"integer"},{"type":"number"}]}"#)?.message == "matches more than one of the allowed forms")
        #expect(try violation(#""a""#, #"{"not":{"const":"a"}}"#)?.message == #"the string "a" is not allowed here"#)
        #expect(try violation(#"1"#, ##"{"$defs":{"s":{"type":"string"}},"$ref":"#/$defs/s"}"##)?.message == "expected a string, got the number 1 (quote it to pass a string)")
        #expect(try violation(#"1"#, #"false"#)?.message == "no value is allowed here")
        #expect(try violation(#"{"K":1}"#, #"{"propertyNames":{"pattern":"^[a-z]+$"}}"#)
            == ConfigSchema.Violation(pointer: "/K", atKey: true, message: #"key "K": the string "K" does not match the pattern ^[a-z]+$"#))
    }

    @Test("a malformed schema is refused, naming the place", arguments: [
        (#"[]"#, "a schema must be an object or a boolean"),
        (#"{"type":"text"}"#, "at /type: must be one of array, boolean, integer, null, number, object, string, or a list of them"),
        (#"{"properties":{"a":{"type":"string","minLenght":1}}}"#, "at /properties/a/minLenght: unsupported keyword"),
        (#"{"required":"a"}"#, "at /required: must be an array of key names"),
        (#"{"pattern":"["}"#, "at /pattern: is not a valid regular expression"),
        (##"{"$ref":"#/$defs/missing"}"##, "at /$ref: must point into this schema"),
        (#"{"items":[{"type":"string"}]}"#, "at /items: must be one schema for every item"),
        (#"{"enum":[]}"#, "at /enum: must be a non-empty array"),
        (#"{"minimum":"1"}"#, "at /minimum: must be a number"),
    ])
    func malformed(text: String, message: String) throws {
        #expect(throws: ConfigSchema.Malformed.self) { try self.schema(text) }
        do { _ = try schema(text) } catch let error as ConfigSchema.Malformed { #expect(error.description.hasPrefix(message), "\(error)") }
    }

    @Test func annotationsAreAllowed() throws {
        #expect(try violation(#"{}"#, #"{"$schema":"x","title":"t","description":"d","default":{},"examples":[],"format":"uri","$comment":"c"}"#) == nil)
    }
}
