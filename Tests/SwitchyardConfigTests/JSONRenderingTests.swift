import Foundation
import Testing

@testable import SwitchyardConfig

@Suite("Plugin config as JSON")
struct JSONRenderingTests {
    /// The JSON text of the single plugin's `config:` written as `yaml` (indented under it).
    func configJSON(_ yaml: String) throws -> String {
        let indented = yaml.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
        let config = try parse("plugins:\n  - name: p\n    path: /p.so\n    config:\n\(indented)\n")
        return String(decoding: config.plugins[0].configJSON, as: UTF8.self)
    }

    @Test("plain scalars follow the core schema; quoted ones stay strings")
    func scalars() throws {
        let json = try configJSON("""
            t: true
            f: False
            n: null
            tilde: ~
            empty:
            int: 42
            neg: -7
            plus: +3
            zeros: 007
            hex: 0x1F
            oct: 0o17
            float: 1.5
            exp: 6.02e23
            dot: .5
            trailing: 1.
            qt: "true"
            qn: '42'
            yes: yes
            s: hello world
            """)
        #expect(json == """
            {"t":true,"f":false,"n":null,"tilde":null,"empty":null,"int":42,"neg":-7,"plus":3,"zeros":7,"hex":31,\
            "oct":15,"float":1.5,"exp":6.02e23,"dot":0.5,"trailing":1.0,"qt":"true","qn":"42","yes":"yes","s":"hello world"}
            """)
    }

    @Test("escapes quotes, backslashes, control characters; keeps Unicode")
    func escaping() throws {
        let json = try configJSON(#"""
            q: "say \"hi\" \\ bye"
            ctl: "a\tb\nc\rd\x01e\x1Ff\bg\fh"
            uni: "ünï 中文 🚀"
            sep: "\u2028\u2029"
            del: "\x7F"
            "key \"quoted\"": 1
            """#)
        #expect(json == #"""
            {"q":"say \"hi\" \\ bye","ctl":"a\tb\nc\rd\u0001e\u001ff\bg\fh","uni":"ünï 中文 🚀","sep":"\u2028\u2029","del":"\#u{7F}","key \"quoted\"":1}
            """#)
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(object?["uni"] as? String == "ünï 中文 🚀")
        #expect(object?["ctl"] as? String == "a\tb\nc\rd\u{01}e\u{1F}f\u{08}g\u{0C}h")
    }

    @Test("nested mappings and lists, block scalars, flow style")
    func nesting() throws {
        let json = try configJSON("""
            base_url: "https://api.openai.com/v1"
            headers: {OpenAI-Organization: org-1, X-Trace: [a, b]}
            models:
              - id: m1
                tags: []
                limits: {}
              - [1, [2, [3]]]
            prompt: |
              line one
              line two
            """)
        #expect(json == """
            {"base_url":"https://api.openai.com/v1","headers":{"OpenAI-Organization":"org-1","X-Trace":["a","b"]},\
            "models":[{"id":"m1","tags":[],"limits":{}},[1,[2,[3]]]],"prompt":"line one\\nline two\\n"}
            """)
        #expect(try JSONSerialization.jsonObject(with: Data(json.utf8)) is [String: Any])
    }

    @Test("a non-mapping config and an absent one")
    func otherShapes() throws {
        #expect(try configJSON("[1, two]") == #"[1,"two"]"#)
        let config = try parse("plugins:\n  - {name: p, path: /p.so}\n  - {name: q, path: /q.so, config: }\n")
        #expect(config.plugins.map { String(decoding: $0.configJSON, as: UTF8.self) } == ["{}", "{}"])
    }

    @Test("numbers keys are strings; non-finite floats are refused")
    func edgeCases() throws {
        #expect(try configJSON("1: one\ntrue: yes") == #"{"1":"one","true":"yes"}"#)
        #expect(errorText("plugins:\n  - name: p\n    path: /p.so\n    config:\n      limits: [1, .inf]\n") == """
            test.yaml:5:19: plugins[0].config.limits[1]: .inf cannot be represented in JSON (quote it to pass a string)
            """)
    }
}

@Suite("Plugin config locations")
struct PluginConfigLocationsTests {
    static let yaml = """
        plugins:
          - name: p
            path: /p.so
            config:
              base_url: http://x
              headers:
                X-Team: e2e
                a/b~c: 1
              beta: [one, two]
          - name: q
            path: /q.so
          - name: r
            path: /r.so
            config:

        """

    func locations(_ index: Int) throws -> PluginConfigLocations {
        try parse(Self.yaml).plugins[index].configLocations
    }

    @Test("every value of the JSON has the place of its YAML node, by JSON Pointer")
    func places() throws {
        let p = try locations(0)
        #expect(p[""]?.keyPath == "plugins[0].config" && p[""]?.value.line == 5)
        #expect(p["/headers/X-Team"] == .init(
            keyPath: "plugins[0].config.headers.X-Team", value: SourceLocation(file: "test.yaml", line: 7, column: 17),
            key: SourceLocation(file: "test.yaml", line: 7, column: 9)))
        #expect(p["/headers/a~1b~0c"]?.value.line == 8)
        #expect(p["/beta/1"] == .init(keyPath: "plugins[0].config.beta[1]", value: SourceLocation(file: "test.yaml", line: 9, column: 19)))
    }

    @Test("errors point at the key for an unknown key, else at the value; an unknown pointer at the nearest known value")
    func errors() throws {
        let p = try locations(0)
        #expect(p.error("unknown key", at: "/headers/X-Team", atKey: true).description
            == "test.yaml:7:9: plugins[0].config.headers.X-Team: unknown key")
        #expect(p.error("expected a number", at: "/headers/X-Team", atKey: false).description
            == "test.yaml:7:17: plugins[0].config.headers.X-Team: expected a number")
        #expect(p.error("odd", at: "/headers/missing/deeper", atKey: true).description == "test.yaml:7:9: plugins[0].config.headers: odd")
    }

    @Test("an absent config is placed at its entry, an empty one at its value")
    func absent() throws {
        #expect(try locations(1).error("missing required key \"text\"", at: "", atKey: false).description
            == "test.yaml:10:5: plugins[1].config: missing required key \"text\"")
        let empty = try locations(2).error("missing", at: "", atKey: false).description
        #expect(empty == "test.yaml:14:12: plugins[2].config: missing")
    }
}
