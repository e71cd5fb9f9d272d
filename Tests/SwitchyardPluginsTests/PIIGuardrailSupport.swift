import CSwitchyardPlugin
import Foundation
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// The PII guardrail (libGuardrailPII.so from `swift build`) loaded through dlopen and called as
/// the host calls it: a real sy_call_info, a verdict handle lent for each inspect.
struct PIIGuardrailHarness {
    let instance: PluginInstance
    let guardrail: GuardrailPlugin

    static let library: PluginLibrary? = {
        let path = Fixtures.product("libGuardrailPII.so")
        return try? PluginLibrary.load(path: path, entry: "pii")
    }()

    static func load() throws -> PluginLibrary {
        try #require(library, "run `swift build` first: \(Fixtures.product("libGuardrailPII.so")) is missing or fails to load")
    }

    init(_ config: String = "{}") throws {
        instance = try Self.load().instantiate(name: "pii", configJSON: Array(config.utf8))
        let table = try #require(instance.interface(SY_IFACE_GUARDRAIL))
        guardrail = try #require(GuardrailPlugin(name: "pii", instance: instance.pluginInstance, table: table))
    }

    /// One inspect; `holdAnswer` is what `verdict_hold` returns (SY_E_UNSUPPORTED: the stream ends).
    func inspect(_ phase: UInt32, _ json: String, holdAnswer: sy_status = SY_OK) -> PIIVerdictRecord {
        let verdict = PIIVerdictRecord(holdAnswer: holdAnswer)
        let call = CallDescription(operation: SY_OP_CHAT_COMPLETIONS, stream: phase == SY_PHASE_CHUNK, attempt: 0, requestID: "req-1", upstreamModel: "m")
        let outcome = Array(json.utf8).withUnsafeBytes { guardrail.inspect(call, phase: phase, json: $0, target: verdict) }
        switch outcome {
        case .finished(let failure): verdict.failure = failure
        case .paused: Issue.record("the PII guardrail never pauses")
        }
        return verdict
    }

    func request(_ json: String) -> PIIVerdictRecord { inspect(SY_PHASE_REQUEST, json) }

    /// A chat request whose only message is `text`; returns the redacted text (nil: untouched).
    func redactedMessage(_ text: String) throws -> String? {
        let verdict = request(PIIDocuments.chatRequest([("user", .string(text))]))
        #expect(verdict.failure == nil)
        return try verdict.replacement(at: "/messages/0/content")
    }
}

/// What the guardrail did with one verdict. Used from the inspecting thread only (the host
/// serializes verdict calls; this guardrail never pauses).
final class PIIVerdictRecord: PluginVerdictTarget, @unchecked Sendable {
    let holdAnswer: sy_status
    var patches: [(format: UInt32, document: String)] = []
    var rejection: (status: UInt32, body: String)?
    var holds: [Int] = []
    var failure: PluginFailure?

    init(holdAnswer: sy_status) { self.holdAnswer = holdAnswer }

    func pluginPatched(format: UInt32, document: UnsafeRawBufferPointer) -> sy_status {
        patches.append((format, String(decoding: document, as: UTF8.self)))
        return SY_OK
    }

    func pluginRejected(httpStatus: UInt32, body: UnsafeRawBufferPointer) -> sy_status {
        rejection = (httpStatus, String(decoding: body, as: UTF8.self))
        return SY_OK
    }

    func pluginHeld(bytes: Int) -> sy_status {
        holds.append(bytes)
        return holdAnswer
    }

    func pluginResumed(_ status: sy_status) {}

    /// The JSON Patch operations of the (single) patch.
    func operations() throws -> [JSONValue] {
        guard let patch = patches.last else { return [] }
        #expect(patches.count == 1 && patch.format == SY_PATCH_JSON_PATCH)
        return try #require(try JSONValue.parse(patch.document).arrayValue)
    }

    /// The value a `replace` operation puts at `path`, or nil when no operation touches it.
    func replacement(at path: String) throws -> String? {
        for operation in try operations() where operation["path"]?.stringValue == path {
            #expect(operation["op"] == "replace")
            return operation["value"]?.stringValue
        }
        return nil
    }

    /// The rejection's error object.
    func rejectedError() throws -> JSONValue {
        let rejection = try #require(rejection)
        return try #require(try JSONValue.parse(rejection.body)["error"])
    }
}

/// Canonical documents for the PII tests.
enum PIIDocuments {
    static func chatRequest(_ messages: [(role: String, content: JSONValue)]) -> String {
        let list = messages.map { JSONValue.object(JSONObject([(key: "role", value: .string($0.role)), (key: "content", value: $0.content)])) }
        return JSONValue.object(JSONObject([(key: "model", value: "gpt-x"), (key: "messages", value: .array(list))])).jsonText
    }

    static func chatResponse(_ content: String) -> String {
        JSONValue.object(JSONObject([
            (key: "id", value: "chatcmpl-1"), (key: "object", value: "chat.completion"), (key: "model", value: "m"),
            (key: "choices", value: [["index": 0, "message": ["role": "assistant", "content": .string(content)], "finish_reason": "stop"]]),
        ])).jsonText
    }

    static func chatChunk(_ text: String) -> String {
        JSONValue.object(JSONObject([
            (key: "id", value: "chatcmpl-1"), (key: "object", value: "chat.completion.chunk"), (key: "model", value: "m"),
            (key: "choices", value: [["index": 0, "delta": ["content": .string(text)], "finish_reason": nil]]),
        ])).jsonText
    }
}

/// Plays the host's part in a stream: each window is the text held back before plus the new
/// text; the guardrail's patch (if any) replaces it, and `hold` keeps its tail for the next one.
/// At the end, held text is inspected once more with holding refused. Returns what the client
/// would have read, or the rejection.
func piiStream(_ pieces: [String], through harness: PIIGuardrailHarness) throws -> (text: String, rejection: JSONValue?) {
    var held: [UInt8] = []
    var released: [UInt8] = []
    func window(_ new: String, ending: Bool) throws -> JSONValue? {
        let text = String(decoding: held + Array(new.utf8), as: UTF8.self)
        let verdict = harness.inspect(SY_PHASE_CHUNK, PIIDocuments.chatChunk(text), holdAnswer: ending ? SY_E_UNSUPPORTED : SY_OK)
        #expect(verdict.failure == nil)
        if verdict.rejection != nil { return try verdict.rejectedError() }
        let out = Array((try verdict.replacement(at: "/choices/0/delta/content") ?? text).utf8)
        let keep = ending ? 0 : (verdict.holds.last ?? 0)
        released += out.dropLast(keep)
        held = Array(out.suffix(keep))
        return nil
    }
    for piece in pieces {
        if let rejection = try window(piece, ending: false) { return (String(decoding: released, as: UTF8.self), rejection) }
    }
    if !held.isEmpty, let rejection = try window("", ending: true) { return (String(decoding: released, as: UTF8.self), rejection) }
    return (String(decoding: released, as: UTF8.self), nil)
}
