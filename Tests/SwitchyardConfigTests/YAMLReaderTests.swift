import Testing

@testable import SwitchyardConfig

@Suite("YAMLReader")
struct YAMLReaderTests {
    @Test("keeps 1-based marks, styles and mapping order")
    func marksAndStyles() throws {
        let root = try #require(try readYAML("""
            b: 1
            a:
              - "two"
              - 'three'
              - |
                four
            """))
        #expect(root.mark == YAMLNode.Mark(line: 1, column: 1))
        guard case .mapping(let pairs) = root.content else { Issue.record("not a mapping"); return }
        #expect(pairs.map { $0.key.scalarText } == ["b", "a"])
        #expect(pairs[0].value == YAMLNode(.scalar("1", .plain), mark: .init(line: 1, column: 4)))
        guard case .sequence(let items) = pairs[1].value.content else { Issue.record("not a list"); return }
        #expect(items.map(\.mark) == [.init(line: 3, column: 5), .init(line: 4, column: 5), .init(line: 5, column: 5)])
        #expect(items.map(\.content) == [.scalar("two", .quoted), .scalar("three", .quoted), .scalar("four", .quoted)])
    }

    @Test("resolves anchors and aliases")
    func anchors() throws {
        let root = try #require(try readYAML("""
            base: &limits {timeout: 5s, retries: 2}
            copy: *limits
            names: [&n echo, *n]
            """))
        guard case .mapping(let pairs) = root.content else { Issue.record("not a mapping"); return }
        #expect(pairs[1].value.content == pairs[0].value.content)
        #expect(pairs[2].value.content == .sequence([
            YAMLNode(.scalar("echo", .plain), mark: .init(line: 3, column: 9)),
            YAMLNode(.scalar("echo", .plain), mark: .init(line: 3, column: 9)),
        ]))
    }

    @Test("applies merge keys; explicit keys win, the first source wins among sources")
    func mergeKeys() throws {
        let root = try #require(try readYAML("""
            a: &a {x: 1, y: 1}
            b: &b {y: 2, z: 2}
            c:
              <<: [*a, *b]
              x: 3
            """))
        guard case .mapping(let pairs) = root.content, case .mapping(let merged) = pairs[2].value.content else {
            Issue.record("not a mapping")
            return
        }
        #expect(merged.map { "\($0.key.scalarText!)=\($0.value.scalarText!)" } == ["y=1", "z=2", "x=3"])
    }

    @Test("anchored plugin entries can be reused through the loader")
    func anchorsThroughLoader() throws {
        let config = try parse("""
            plugins:
              - &echo {name: echo, path: /p/libProviderEcho.so, config: {greeting: hi}}
              - <<: *echo
                name: echo2
            """)
        #expect(config.plugins.map(\.name) == ["echo", "echo2"])
        #expect(config.plugins.map { String(decoding: $0.configJSON, as: UTF8.self) } == [#"{"greeting":"hi"}"#, #"{"greeting":"hi"}"#])
    }

    @Test("syntax errors carry libyaml's problem and a 1-based position", arguments: [
        ("a: [1, 2\n", "test.yaml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at 1:4)"),
        ("a:\n  b: 1\n c: 2\n", "test.yaml:3:2: YAML syntax error: did not find expected key (while parsing a block mapping at 1:1)"),
        ("a: \"open\n", "test.yaml:2:1: YAML syntax error: found unexpected end of stream (while scanning a quoted scalar at 1:4)"),
        ("a:\tb\n\t- c\n", "test.yaml:2:1: YAML syntax error: found a tab character that violates indentation (while scanning a plain scalar at 1:4)"),
    ])
    func syntaxErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("structural errors name the position and the key path", arguments: [
        ("server:\n  port: 1\n  host: x\n  port: 2\n", #"test.yaml:4:3: server.port: duplicate key "port" (first defined at line 2)"#),
        ("a: 1\n---\nb: 2\n", "test.yaml:2:1: expected a single YAML document, found another one"),
        ("a: *nowhere\n", #"test.yaml:1:4: a: unknown alias "*nowhere""#),
        ("a: !secret x\n", #"test.yaml:1:4: a: unsupported YAML tag "!secret" (only the core schema tags are accepted)"#),
        ("? [a, b]\n: c\n", "test.yaml:1:3: mapping keys must be scalars"),
        ("a:\n  <<: 5\n", #"test.yaml:2:7: a.<<: merge key "<<" needs a mapping or a list of mappings"#),
        ("l:\n  - x\n  - {k: 1, k: 2}\n", #"test.yaml:3:12: l[1].k: duplicate key "k" (first defined at line 3)"#),
    ])
    func structuralErrors(yaml: String, expected: String) {
        #expect(errorText(yaml) == expected)
    }

    @Test("refuses alias bombs and deep nesting")
    func limits() {
        var bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...6 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            bomb += "a\(level): &a\(level) [\(refs)]\n"
        }
        #expect(errorText(bomb) == "test.yaml:5:55: a4[9]: document is larger than 100000 nodes after alias expansion")
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(errorText(deep) == "test.yaml:1:129: " + String(repeating: "[0]", count: 128) + ": nesting is deeper than 128 levels")
    }

    @Test("!!str keeps a plain-looking scalar a string")
    func strTag() throws {
        let root = try #require(try readYAML("a: !!str 8080\n"))
        guard case .mapping(let pairs) = root.content else { Issue.record("not a mapping"); return }
        #expect(pairs[0].value.content == .scalar("8080", .quoted))
    }
}
