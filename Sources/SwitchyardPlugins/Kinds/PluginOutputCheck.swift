import CSwitchyardPlugin
import SwitchyardJSON

/// The host's check of what a provider writes, before any of it can reach a client (the rules
/// are the header's, under SY_OUT_*):
///
/// - SY_OUT_JSON: exactly one JSON object (so well-formed UTF-8); on a call that is not a
///   stream, at most one (a second whole response is refused, not silently dropped);
/// - SY_OUT_ERROR_JSON: a JSON object with an `error` object member;
/// - SY_OUT_META_JSON: a JSON object without escaped keys whose `usage` (when present) is an
///   object with non-negative integer `*_tokens` counts, also inside its `*_details` objects
///   (or null), and whose `retry_after_seconds` (when present) is a non-negative integer;
/// - SY_OUT_BYTES and unknown kinds: not checked.
///
/// The first refused write fails the call: its reason is kept in `problem`, and every later
/// write is refused too, so a client never sees output after a gap. One strict validating pass
/// per write; nothing is allocated for output that passes.
///
/// A value type owned by one call (a `generate` run, or one response transformation): writes of
/// one call never overlap, whatever thread runs its hooks.
public struct PluginOutputCheck {
    public let stream: Bool
    private var wroteWhole = false
    /// Why the first refused write was refused; nil while everything passed.
    public private(set) var problem: String?
    /// Set by whoever logged `problem`, so a call's refusal is reported once.
    public var reported = false

    public init(stream: Bool) { self.stream = stream }

    /// SY_OK when the write may go on to the client, SY_E_INVALID when it is refused.
    public mutating func admit(kind: UInt32, _ bytes: UnsafeRawBufferPointer) -> sy_status {
        guard problem == nil else { return SY_E_INVALID }
        let refusal: String?
        switch kind {
        case SY_OUT_JSON:
            if !stream && wroteWhole {
                refusal = "a second SY_OUT_JSON on a call that is not a stream (one whole response per call)"
            } else if let error = JSONValidation.objectError(bytes) {
                refusal = "SY_OUT_JSON (\(stream ? "a stream chunk" : "the response")) is not a JSON object: \(error)"
            } else {
                wroteWhole = true
                refusal = nil
            }
        case SY_OUT_ERROR_JSON:
            refusal = Self.errorProblem(bytes).map { "SY_OUT_ERROR_JSON \($0)" }
        case SY_OUT_META_JSON:
            refusal = Self.metaProblem(bytes).map { "SY_OUT_META_JSON \($0)" }
        default:
            refusal = nil  // SY_OUT_BYTES is opaque; unknown kinds are ignored downstream
        }
        guard let refusal else { return SY_OK }
        problem = refusal
        return SY_E_INVALID
    }

    public static func errorProblem(_ bytes: UnsafeRawBufferPointer) -> String? {
        var hasError = false
        do {
            try JSONValidation.forEachMember(bytes) { key, _, value in
                if JSONValidation.key(key, is: "error"), bytes[value.lowerBound] == UInt8(ascii: "{") { hasError = true }
                return true
            }
        } catch {
            return "is not a JSON object: \(error)"
        }
        return hasError ? nil : "is not an error object: {\"error\":{...}} expected"
    }

    static func metaProblem(_ bytes: UnsafeRawBufferPointer) -> String? {
        var problem: String?
        do {
            try JSONValidation.forEachMember(bytes) { key, escaped, value in
                let member = UnsafeRawBufferPointer(rebasing: bytes[value])
                if escaped {
                    problem = "has an escaped key"
                } else if JSONValidation.key(key, is: "usage") {
                    problem = usageProblem(member)
                } else if JSONValidation.key(key, is: "retry_after_seconds"), !JSONValidation.isNonNegativeInteger(member) {
                    problem = "retry_after_seconds is not a non-negative integer"
                }
                return problem == nil  // stop at the first problem
            }
        } catch {
            return "is not a JSON object: \(error)"
        }
        return problem
    }

    /// `{"prompt_tokens":N,...,"prompt_tokens_details":{...}|null}` (already validated as JSON);
    /// members that are not counts (an upstream's timings, say) are left alone.
    private static func usageProblem(_ usage: UnsafeRawBufferPointer) -> String? {
        guard usage.first == UInt8(ascii: "{") else { return "usage is not an object" }
        var problem: String?
        try? JSONValidation.forEachMember(usage) { key, _, value in
            let member = UnsafeRawBufferPointer(rebasing: usage[value])
            if JSONValidation.key(key, endsWith: "_tokens") {
                if !JSONValidation.isNonNegativeInteger(member) { problem = "usage.\(String(decoding: key, as: UTF8.self)) is not a non-negative integer" }
            } else if JSONValidation.key(key, endsWith: "_details"), member.first != UInt8(ascii: "n") {
                guard member.first == UInt8(ascii: "{") else {
                    problem = "usage.\(String(decoding: key, as: UTF8.self)) is not an object or null"
                    return false
                }
                try? JSONValidation.forEachMember(member) { inner, _, count in
                    if JSONValidation.key(inner, endsWith: "_tokens"), !JSONValidation.isNonNegativeInteger(UnsafeRawBufferPointer(rebasing: member[count])) {
                        problem = "usage.\(String(decoding: key, as: UTF8.self)).\(String(decoding: inner, as: UTF8.self)) is not a non-negative integer"
                    }
                    return problem == nil
                }
            }
            return problem == nil
        }
        return problem
    }
}
