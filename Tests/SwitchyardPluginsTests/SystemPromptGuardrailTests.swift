import CSwitchyardPlugin
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// libGuardrailSystemPrompt.so through dlopen: the JSON Patch operations of each mode and the
/// request they produce.
@Suite struct SystemPromptGuardrailTests {
    static let library = "libGuardrailSystemPrompt.so"
    static let rule: JSONValue = ["role": "system", "content": "Answer in French."]

    func prompt(_ mode: String) throws -> LoadedGuardrail {
        try LoadedGuardrail.load(Self.library, config: #"{"mode":"\#(mode)","text":"Answer in French."}"#)
    }

    func request(_ roles: [String]) -> JSONValue {
        ["model": "m", "messages": .array(roles.enumerated().map { ["role": .string($1), "content": .string("\($1) \($0)")] })]
    }

    /// The operations and the messages after applying them.
    func apply(_ mode: String, to roles: [String]) throws -> (operations: JSONValue?, messages: [JSONValue]) {
        let body = request(roles)
        let verdict = try (try prompt(mode)).inspect(body, phase: SY_PHASE_REQUEST)
        #expect(verdict.rejections.isEmpty)
        let patched = try verdict.operations.map { try TestJSONPatch.apply($0, to: body) } ?? body
        return (verdict.operations, patched["messages"]?.arrayValue ?? [])
    }

    @Test func prependAddsASystemMessageAtIndexZero() throws {
        let (operations, messages) = try apply("prepend", to: ["system", "user"])
        #expect(operations == [["op": "add", "path": "/messages/0", "value": Self.rule]])
        #expect(messages == [Self.rule, ["role": "system", "content": "system 0"], ["role": "user", "content": "user 1"]])
    }

    @Test func appendGoesAfterTheLeadingSystemAndDeveloperMessages() throws {
        let (operations, messages) = try apply("append", to: ["system", "developer", "user", "system"])
        #expect(operations == [["op": "add", "path": "/messages/2", "value": Self.rule]])
        #expect(messages.map { $0["content"]?.stringValue ?? "" } == ["system 0", "developer 1", "Answer in French.", "user 2", "system 3"])
        let (first, _) = try apply("append", to: ["user"])
        #expect(first == [["op": "add", "path": "/messages/0", "value": Self.rule]])
    }

    @Test func replaceRemovesEverySystemAndDeveloperMessage() throws {
        let (operations, messages) = try apply("replace", to: ["system", "user", "developer", "assistant", "system"])
        #expect(operations == [
            ["op": "remove", "path": "/messages/4"], ["op": "remove", "path": "/messages/2"], ["op": "remove", "path": "/messages/0"],
            ["op": "add", "path": "/messages/0", "value": Self.rule],
        ])
        #expect(messages == [Self.rule, ["role": "user", "content": "user 1"], ["role": "assistant", "content": "assistant 3"]])
    }

    @Test(arguments: ["prepend", "append", "replace"])
    func aRequestThatAlreadyHasThePromptIsNotPatchedAgain(_ mode: String) throws {
        let body: JSONValue = ["model": "m", "messages": [Self.rule, ["role": "user", "content": "hi"]]]
        #expect(try (try prompt(mode)).inspect(body, phase: SY_PHASE_REQUEST).allowed)
    }

    @Test func aRequestWithoutMessagesPasses() throws {
        #expect(try (try prompt("prepend")).inspect(["model": "e", "input": "x"], phase: SY_PHASE_REQUEST, operation: SY_OP_EMBEDDINGS).allowed)
    }

    @Test func theModeDefaultsToPrepend() throws {
        let guardrail = try LoadedGuardrail.load(Self.library, config: #"{"text":"Answer in French."}"#)
        #expect(try guardrail.inspect(request(["user"]), phase: SY_PHASE_REQUEST).operations
            == [["op": "add", "path": "/messages/0", "value": Self.rule]])
    }

    @Test(arguments: [#"{}"#, #"{"text":""}"#, #"{"mode":"insert","text":"x"}"#, #"{"text":3}"#, #"{"text":"x","role":"system"}"#])
    func aBadConfigIsRefusedBySchemaAndByInstanceNew(_ config: String) throws {
        let library = try PluginLibrary.load(path: Fixtures.product(Self.library), entry: "system-prompt")
        #expect(try #require(library.configSchema).violation(in: try JSONValue.parse(config)) != nil)
        #expect(throws: PluginLoadError.self) { try library.instantiate(name: "system-prompt", configJSON: Array(config.utf8)) }
    }
}
