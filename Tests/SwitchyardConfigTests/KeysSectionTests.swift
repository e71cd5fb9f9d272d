import Testing

@testable import SwitchyardConfig

@Suite("keys section and the master key")
struct KeysSectionTests {
    @Test func defaults() throws {
        let config = try parse("")
        #expect(config.keys == KeysConfig(required: false))
        #expect(config.admin.key == nil && config.admin.masterKeyEnvironment == "SWITCHYARD_MASTER_KEY")
    }

    @Test func required() throws {
        #expect(try parse("keys:\n  required: true\n").keys.required)
        #expect(try !parse("keys:\n  required: false\n").keys.required)
    }

    @Test("the master key comes from admin.key, else the environment")
    func masterKey() throws {
        let fromEnvironment = try parse("", env: ["SWITCHYARD_MASTER_KEY": "master-0123456789"]).admin
        #expect(fromEnvironment.key == "master-0123456789" && fromEnvironment.keySource == "$SWITCHYARD_MASTER_KEY")
        let named = try parse("admin:\n  master_key_env: MY_KEY\n", env: ["MY_KEY": "master-0123456789", "SWITCHYARD_MASTER_KEY": "other-0123456789ab"]).admin
        #expect(named.key == "master-0123456789" && named.keySource == "$MY_KEY")
        let written = try parse("admin:\n  key: written-0123456789\n", env: ["SWITCHYARD_MASTER_KEY": "master-0123456789"]).admin
        #expect(written.key == "written-0123456789" && written.keySource == "admin.key")
        #expect(try parse("admin:\n  master_key_env: UNSET\n").admin.key == nil)
    }

    @Test("errors name the file, line and variable", arguments: [
        ("keys:\n  required: maybe\n", [:], #"test.yaml:2:13: keys.required: expected true or false (an empty value means false), got "maybe""#),
        ("keys:\n  requried: true\n", [:], #"test.yaml:2:3: keys.requried: unknown key (did you mean "required"?)"#),
        ("", ["SWITCHYARD_MASTER_KEY": "short"], "test.yaml: admin.master_key_env: the master key in $SWITCHYARD_MASTER_KEY must be at least 16 characters (it was 5)"),
        ("admin:\n  master_key_env: K\n", ["K": "has a space in it!"], "test.yaml:2:19: admin.master_key_env: the master key in $K must not contain spaces or control characters (it is sent as a bearer token)"),
        ("admin:\n  listen: 127.0.0.1:0\n", ["SWITCHYARD_MASTER_KEY": "short"], "test.yaml:2:3: admin.master_key_env: the master key in $SWITCHYARD_MASTER_KEY must be at least 16 characters (it was 5)"),
        ("admin:\n  master_key_env: 1BAD\n", [:], #"test.yaml:2:19: admin.master_key_env: must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got "1BAD""#),
    ] as [(String, [String: String], String)])
    func errors(yaml: String, env: [String: String], message: String) {
        #expect(errorText(yaml, env: env) == message)
    }
}
