import CSwitchyardPlugin

/// A guardrail (`switchyard.guardrail/1`), one object per YAML plugin entry. The host calls
/// `inspect` from any event-loop thread, concurrently for different calls: keep the object
/// immutable after init (or lock what changes).
public protocol Guardrail: AnyObject, Sendable {
    /// Parses the entry's `config` once. Throw `PluginError.config` to reject it.
    init(config: JSONValue, host: PluginHost) throws(PluginError)

    /// The phases this guardrail can inspect (the YAML entry may narrow them).
    static var phases: GuardrailPhases { get }

    /// Decides about one document through `verdict` (nothing = allow). Return `.complete` when
    /// the verdict is final, or `.paused` and later call `verdict.resume()` exactly once, from
    /// any thread (e.g. from the handler of `inspection.call.send`). A thrown error is the
    /// guardrail failing: the entry's `on_error` decides what the request does.
    func inspect(_ inspection: Inspection, verdict: Verdict) throws(PluginError) -> InspectOutcome

    /// The call has ended (optional): release per-call state kept under `call.id`.
    func callEnded(_ call: PluginCall)
}

extension Guardrail {
    public func callEnded(_ call: PluginCall) {}
}

/// SY_PHASE_* bits.
public struct GuardrailPhases: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let request = GuardrailPhases(rawValue: SY_PHASE_REQUEST)
    public static let response = GuardrailPhases(rawValue: SY_PHASE_RESPONSE)
    public static let chunk = GuardrailPhases(rawValue: SY_PHASE_CHUNK)
}

public enum InspectOutcome: Sendable {
    case complete
    /// `Verdict.resume` will be called later.
    case paused
}

/// One document to inspect, borrowed for the duration of `inspect` (copy what a paused
/// inspection keeps).
public struct Inspection {
    public enum Phase: UInt32, Sendable {
        case request = 1, response = 2, chunk = 4
    }
    public let phase: Phase
    /// The canonical JSON (see the header's "switchyard.guardrail/1" for each phase).
    public let json: UnsafeRawBufferPointer
    public let info: CallInfo
    public let call: PluginCall
}

/// The host's record of a guardrail's decision: a `sy_verdict` handle. Valid until `inspect`
/// returns, or after `.paused` until `resume` (from any thread); afterwards every method returns
/// SY_E_HANDLE. Each method copies its input.
public struct Verdict: @unchecked Sendable {
    let handle: sy_verdict
    let host: PluginHost

    /// Replaces the inspected document with `json` (one JSON object).
    @discardableResult
    public func replace(with json: [UInt8]) -> sy_status { patch(format: SY_PATCH_REPLACE, json) }

    /// Applies an RFC 6902 JSON Patch (an array of operations) to the inspected document.
    @discardableResult
    public func patch(_ operations: [UInt8]) -> sy_status { patch(format: SY_PATCH_JSON_PATCH, operations) }

    private func patch(format: UInt32, _ bytes: [UInt8]) -> sy_status {
        bytes.withUnsafeBytes { raw in
            host.api.pointee.verdict_patch(host.instance, handle, format, sy_bytes(ptr: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), len: raw.count))
        }
    }

    /// Rejects: the client gets `status` and an OpenAI-shaped error with `message` (the host
    /// names the guardrail). In the chunk phase the stream ends with an error event.
    @discardableResult
    public func reject(status: Int = 400, message: String, type: String = "invalid_request_error", code: String? = nil) -> sy_status {
        var error = JSONObject([(key: "message", value: .string(message)), (key: "type", value: .string(type))])
        if let code { error["code"] = .string(code) }
        var writer = JSONWriter(capacity: message.utf8.count + 96)
        writer.value(.object(JSONObject([(key: "error", value: .object(error))])))
        return writer.bytes.withUnsafeBytes { raw in
            host.api.pointee.verdict_reject(host.instance, handle, UInt32(clamping: status), sy_bytes(ptr: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), len: raw.count))
        }
    }

    /// Chunk phase: keeps the last `bytes` bytes of the text (after your patch) back for the
    /// next inspect of this choice. SY_E_UNSUPPORTED when the text must go out now.
    @discardableResult
    public func hold(_ bytes: Int) -> sy_status {
        host.api.pointee.verdict_hold(host.instance, handle, max(bytes, 0))
    }

    /// Finishes an inspection that returned `.paused`: SY_OK (the verdict as it stands) or an
    /// error status (the guardrail failed). Once per pause, from any thread.
    @discardableResult
    public func resume(_ status: sy_status = SY_OK) -> sy_status {
        host.api.pointee.resume(host.instance, handle, status)
    }
}
