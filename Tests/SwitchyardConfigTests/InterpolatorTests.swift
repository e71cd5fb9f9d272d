import Testing

@testable import SwitchyardConfig

@Suite("Environment interpolation")
struct InterpolatorTests {
    let interpolator = Interpolator(environment: .values(["HOME": "/home/sy", "EMPTY": "", "PORT": "9090", "B": "bee"]))

    func expand(_ text: String) -> String? {
        try? interpolator.expand(text)
    }

    @Test("expands the supported forms", arguments: [
        ("${HOME}/plugins", "/home/sy/plugins"),
        ("${EMPTY}", ""),
        ("${MISSING:-fallback}", "fallback"),
        ("${EMPTY:-fallback}", "fallback"),
        ("${HOME:-fallback}", "/home/sy"),
        ("${HOME:+on}", "on"),
        ("${EMPTY:+on}", ""),
        ("${MISSING:+on}", ""),
        ("${MISSING:-}", ""),
        ("${MISSING:-${B}}", "bee"),
        ("${MISSING:-${ALSO_MISSING:-deep}}", "deep"),
        ("$${HOME}", "${HOME}"),
        ("cost: $$5", "cost: $5"),
        ("pa$word", "pa$word"),
        ("trailing $", "trailing $"),
        ("${PORT}${PORT}", "90909090"),
        ("${MISSING:-a:b-c}", "a:b-c"),
        ("no references", "no references"),
        ("ünïcødé ${B} ✓", "ünïcødé bee ✓"),
    ])
    func forms(input: String, expected: String) {
        #expect(expand(input) == expected)
    }

    @Test("reports malformed references", arguments: [
        ("${MISSING}", "environment variable MISSING is not set (write ${MISSING:-default} to give a default)"),
        ("${HOME", #"unterminated "${" (missing "}")"#),
        ("${HOME:-open", #"unterminated "${" (missing "}")"#),
        ("${}", #"invalid reference "${}": a variable name must start with a letter or "_""#),
        ("${1ABC}", #"invalid reference "${1": a variable name must start with a letter or "_""#),
        ("${HOME-x}", #"invalid reference to HOME: expected "}", ":-" or ":+" after the name, found "-""#),
        ("${HOME:?x}", #"invalid reference to HOME: expected "}", ":-" or ":+" after the name, found ":""#),
    ])
    func malformed(input: String, message: String) {
        #expect(throws: Interpolator.Failure.self) { try interpolator.expand(input) }
        do {
            _ = try interpolator.expand(input)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test("errors through the loader name file, line, column and key path")
    func locatedErrors() {
        #expect(errorText("server:\n  host: \"${BIND_HOST}\"\n") == """
            test.yaml:2:9: server.host: environment variable BIND_HOST is not set (write ${BIND_HOST:-default} to give a default)
            """)
        #expect(errorText("server:\n  port: ${PORT\n") == #"test.yaml:2:9: server.port: unterminated "${" (missing "}")"#)
    }

    @Test("a plain scalar is typed after expansion; a quoted one stays a string")
    func typingAfterExpansion() throws {
        let config = try parse("server:\n  port: ${PORT:-8081}\n  max_body_bytes: ${SIZE:-1MiB}\n", env: ["PORT": "9000"])
        #expect(config.server.port == 9000)
        #expect(config.server.maxBodyBytes == 1 << 20)
        #expect(errorText("server:\n  port: \"${PORT:-8081}\"\n") == """
            test.yaml:2:9: server.port: expected an integer from 0 to 65535, got the quoted string "8081"
            """)
    }

    @Test("values cannot inject YAML structure")
    func noInjection() throws {
        let config = try parse(
            "plugins:\n  - name: x\n    path: /p/x.so\n    config:\n      token: ${TOKEN}\n",
            env: ["TOKEN": "a, evil: true}\n- injected"])
        #expect(String(decoding: config.plugins[0].configJSON, as: UTF8.self) == #"{"token":"a, evil: true}\n- injected"}"#)
    }

    @Test("inside flow collections a reference must be quoted ({ and } end a plain scalar there)")
    func flowCollections() throws {
        let config = try parse("providers:\n  - {name: e, plugin: e, models: [\"${M}\"]}\nplugins: [{name: e, path: /e.so}]\n", env: ["M": "m-1"])
        #expect(config.providers[0].models == ["m-1"])
        #expect(errorText("aliases: {a: ${M}}\n", env: ["M": "m"]) == """
            test.yaml:1:15: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at 1:10)
            """)
    }

    @Test("mapping keys are not interpolated")
    func keysUntouched() throws {
        let config = try parse(
            "plugins:\n  - name: x\n    path: /p/x.so\n    config: {\"${K}\": v}\n", env: ["K": "expanded"])
        #expect(String(decoding: config.plugins[0].configJSON, as: UTF8.self) == #"{"${K}":"v"}"#)
    }

    @Test("the process environment is read through getenv")
    func processEnvironment() {
        #expect(Environment.process.value(of: "PATH") != nil)
        #expect(Environment.process.value(of: "SWITCHYARD_SURELY_UNSET_\(UInt64.random(in: 0...UInt64.max))") == nil)
    }
}
