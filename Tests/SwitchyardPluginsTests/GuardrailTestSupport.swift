import CSwitchyardPlugin
import Foundation
import Synchronization
import SwitchyardJSON
@testable import SwitchyardPlugins
import Testing

/// What a guardrail decided through the host's verdict functions, as the gateway's chain would
/// record it. `holdStatus` is what `verdict_hold` answers (SY_E_UNSUPPORTED: the text must go
/// out now, as when a choice ends).
final class VerdictRecorder: PluginVerdictTarget {
    struct Decisions {
        var patches: [(format: UInt32, document: JSONValue)] = []
        var rejections: [(status: UInt32, body: JSONValue)] = []
        var holds: [Int] = []
    }

    let holdStatus: sy_status
    private let decisions = Mutex(Decisions())

    init(holdStatus: sy_status = SY_OK) {
        self.holdStatus = holdStatus
    }

    var patches: [(format: UInt32, document: JSONValue)] { decisions.withLock { $0.patches } }
    var rejections: [(status: UInt32, body: JSONValue)] { decisions.withLock { $0.rejections } }
    var holds: [Int] { decisions.withLock { $0.holds } }
    /// The JSON Patch operations of the only patch (nil when none).
    var operations: JSONValue? { patches.count == 1 && patches[0].format == SY_PATCH_JSON_PATCH ? patches[0].document : nil }
    var rejectionMessage: String? { rejections.last?.body["error"]?["message"]?.stringValue }
    var rejectionCode: String? { rejections.last?.body["error"]?["code"]?.stringValue }
    var allowed: Bool { patches.isEmpty && rejections.isEmpty }

    func pluginPatched(format: UInt32, document: UnsafeRawBufferPointer) -> sy_status {
        guard let value = try? JSONValue.parse(document) else { return SY_E_INVALID }
        decisions.withLock { $0.patches.append((format, value)) }
        return SY_OK
    }

    func pluginRejected(httpStatus: UInt32, body: UnsafeRawBufferPointer) -> sy_status {
        guard let value = try? JSONValue.parse(body) else { return SY_E_INVALID }
        decisions.withLock { $0.rejections.append((httpStatus, value)) }
        return SY_OK
    }

    func pluginHeld(bytes: Int) -> sy_status {
        guard holdStatus == SY_OK else { return holdStatus }
        decisions.withLock { $0.holds.append(bytes) }
        return SY_OK
    }

    func pluginResumed(_ status: sy_status) {}
}

/// One guardrail instance of a built plugin library, loaded through dlopen as the gateway does.
struct LoadedGuardrail {
    let instance: PluginInstance
    let guardrail: GuardrailPlugin

    /// The library `product` (e.g. "libGuardrailBlocklist.so" from `swift build`, or a path).
    static func load(_ product: String, config: String, name: String = "guardrail") throws -> LoadedGuardrail {
        let path = product.hasPrefix("/") ? product : Fixtures.product(product)
        try #require(FileManager.default.fileExists(atPath: path), "run `swift build` first: \(path) is missing")
        let library = try PluginLibrary.load(path: path, entry: name)
        let instance = try library.instantiate(name: name, configJSON: Array(config.utf8))
        let table = try #require(instance.interface(SY_IFACE_GUARDRAIL))
        return LoadedGuardrail(instance: instance, guardrail: try #require(GuardrailPlugin(name: name, instance: instance.pluginInstance, table: table)))
    }

    /// Runs `inspect` once; the returned verdict holds what the plugin decided.
    @discardableResult
    func inspect(_ json: JSONValue, phase: UInt32, call: sy_call? = nil, holdStatus: sy_status = SY_OK,
                 operation: UInt32 = SY_OP_CHAT_COMPLETIONS) throws -> VerdictRecorder {
        let verdict = VerdictRecorder(holdStatus: holdStatus)
        let description = CallDescription(operation: operation, stream: phase == SY_PHASE_CHUNK, attempt: 0, requestID: "req-test",
                                          upstreamModel: "m", handle: call)
        let outcome = json.serialized().withUnsafeBytes { guardrail.inspect(description, phase: phase, json: $0, target: verdict) }
        guard case .finished(nil) = outcome else {
            Issue.record("inspect did not finish with SY_OK: \(outcome)")
            return verdict
        }
        return verdict
    }
}

/// A minimal RFC 6902 applier for the operations the guardrails emit (add, remove, replace) on
/// object members and array indexes, so tests check the document the host would produce.
enum TestJSONPatch {
    struct Failure: Error { let reason: String }

    static func apply(_ operations: JSONValue, to document: JSONValue) throws -> JSONValue {
        var document = document
        for operation in operations.arrayValue ?? [] {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else { throw Failure(reason: "malformed \(operation)") }
            let tokens = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                .map { String($0).replacing("~1", with: "/").replacing("~0", with: "~") }
            document = try edit(document, Array(tokens), op: op, value: operation["value"])
        }
        return document
    }

    private static func edit(_ node: JSONValue, _ tokens: [String], op: String, value: JSONValue?) throws -> JSONValue {
        guard let token = tokens.first else {
            guard op == "replace" || op == "add", let value else { throw Failure(reason: "\(op) at the root") }
            return value
        }
        let last = tokens.count == 1
        switch node {
        case .object(var object):
            if last {
                switch op {
                case "add": object[token] = value
                case "replace":
                    guard object[token] != nil else { throw Failure(reason: "replace of missing member \(token)") }
                    object[token] = value
                case "remove":
                    guard object[token] != nil else { throw Failure(reason: "remove of missing member \(token)") }
                    object[token] = nil
                default: throw Failure(reason: "unsupported op \(op)")
                }
            } else {
                guard let child = object[token] else { throw Failure(reason: "no member \(token)") }
                object[token] = try edit(child, Array(tokens.dropFirst()), op: op, value: value)
            }
            return .object(object)
        case .array(var items):
            let index = token == "-" ? items.count : Int(token) ?? -1
            if last {
                switch op {
                case "add":
                    guard let value, (0...items.count).contains(index) else { throw Failure(reason: "add at \(token)") }
                    items.insert(value, at: index)
                case "replace":
                    guard let value, items.indices.contains(index) else { throw Failure(reason: "replace at \(token)") }
                    items[index] = value
                case "remove":
                    guard items.indices.contains(index) else { throw Failure(reason: "remove at \(token)") }
                    items.remove(at: index)
                default: throw Failure(reason: "unsupported op \(op)")
                }
            } else {
                guard items.indices.contains(index) else { throw Failure(reason: "no index \(token)") }
                items[index] = try edit(items[index], Array(tokens.dropFirst()), op: op, value: value)
            }
            return .array(items)
        default:
            throw Failure(reason: "path goes through a scalar at \(token)")
        }
    }
}

/// Plays a stream through a chunk-phase guardrail the way the host does: each inspect sees one
/// chunk whose `delta.content` is the text held back before plus the new text; the client gets
/// the (patched) text minus the tail the plugin holds; at the end held text is inspected once
/// more with holding refused.
struct StreamPlayback {
    /// What the client received, chunk by chunk.
    var delivered: [String] = []
    /// What was held after each inspect.
    var heldBytes: [Int] = []
    /// The rejection message, when the stream ended in one.
    var rejection: String?
    var clientText: String { delivered.joined() }

    init(_ guardrail: LoadedGuardrail, pieces: [String], call: sy_call? = nil, choice: Int = 0) throws {
        var held: [UInt8] = []
        for (position, piece) in pieces.enumerated() {
            let window = held + Array(piece.utf8)
            let last = position == pieces.count - 1
            guard try step(guardrail, window: window, final: false, call: call, choice: choice, held: &held) else { return }
            if last, !held.isEmpty {
                _ = try step(guardrail, window: held, final: true, call: call, choice: choice, held: &held)
            }
        }
    }

    static func chunk(_ text: String, choice: Int) -> JSONValue {
        ["id": "c", "object": "chat.completion.chunk", "model": "m",
         "choices": [["index": .number(choice), "delta": ["content": .string(text)], "finish_reason": nil]]]
    }

    /// One inspect; false when the stream ended in a rejection.
    private mutating func step(_ guardrail: LoadedGuardrail, window: [UInt8], final: Bool, call: sy_call?, choice: Int, held: inout [UInt8]) throws -> Bool {
        let chunk = Self.chunk(String(decoding: window, as: UTF8.self), choice: choice)
        let verdict = try guardrail.inspect(chunk, phase: SY_PHASE_CHUNK, call: call, holdStatus: final ? SY_E_UNSUPPORTED : SY_OK)
        if let message = verdict.rejectionMessage {
            rejection = message
            return false
        }
        var text = window
        if let operations = verdict.operations {
            let patched = try TestJSONPatch.apply(operations, to: chunk)
            text = Array((patched["choices"]?[0]?["delta"]?["content"]?.stringValue ?? "").utf8)
        }
        let hold = min(verdict.holds.last ?? 0, text.count)
        held = Array(text.suffix(hold))
        heldBytes.append(hold)
        delivered.append(String(decoding: text.dropLast(hold), as: UTF8.self))
        return true
    }
}
