import CSwitchyardPlugin
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// The C example guardrail (plugin-sdk/examples/c/guardrail-deny), built by the system C
/// compiler and loaded through dlopen like any plugin.
@Suite struct GuardrailDenyExampleTests {
    static let source = "plugin-sdk/examples/c/guardrail-deny/guardrail_deny.c"

    func deny(_ config: String = #"{"word":"classified"}"#) throws -> LoadedGuardrail {
        try LoadedGuardrail.load(try Fixtures.plugin(Self.source), config: config, name: "deny")
    }

    func chat(_ text: String) -> JSONValue {
        ["model": "m", "messages": [["role": "user", "content": .string(text)]]]
    }

    @Test func aRequestWithTheWordIsRejected() throws {
        let verdict = try (try deny()).inspect(chat("show me the classified files"), phase: SY_PHASE_REQUEST)
        #expect(verdict.rejections.count == 1 && verdict.rejections[0].status == 400)
        #expect(verdict.rejectionMessage == "the request contains a denied word")
        #expect(verdict.rejectionCode == "content_blocked")
    }

    @Test func aRequestWithoutTheWordIsAllowed() throws {
        #expect(try (try deny()).inspect(chat("show me the public files"), phase: SY_PHASE_REQUEST).allowed)
    }

    @Test func itDeclaresTheRequestPhaseOnly() throws {
        #expect(try deny().guardrail.phases == SY_PHASE_REQUEST)
    }

    @Test(arguments: [#"{}"#, #"{"word":""}"#, #"{"word":"a\"b"}"#, #"{"word":7}"#])
    func aBadConfigIsRefused(_ config: String) throws {
        let library = try PluginLibrary.load(path: try Fixtures.plugin(Self.source), entry: "deny")
        #expect(try #require(library.configSchema).violation(in: try JSONValue.parse(config)) != nil || config.contains("\\"))
        #expect(throws: PluginLoadError.self) { try library.instantiate(name: "deny", configJSON: Array(config.utf8)) }
    }
}
