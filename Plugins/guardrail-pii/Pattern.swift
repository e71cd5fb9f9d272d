import CPCRE2

/// One PCRE2 pattern, compiled once at instance creation (JIT-compiled for complete and
/// partial matching when the platform has a JIT, interpreted otherwise) and immutable afterwards.
///
/// Threading: PCRE2 documents a compiled pattern, its JIT code and a match context as read-only
/// during matching, so one `Pattern` serves every event loop at once; the only mutable thing a
/// match needs is its `MatchScratch`, which belongs to one inspect call.
final class Pattern: @unchecked Sendable {  // immutable after init; PCRE2 reads `code` concurrently
    let code: OpaquePointer
    /// Characters a lookbehind at the start of a match may look at before it.
    let lookbehind: Int
    let isJIT: Bool
    /// UTF mode (custom patterns): `.` and classes take whole characters, and matching skips
    /// PCRE2's UTF-8 check (the texts come from the JSON parser, which made it).
    let isUTF: Bool

    /// PCRE2's message and the byte offset in the pattern where compilation failed.
    struct CompileError: Error {
        let message: String
        let offset: Int
    }

    init(_ source: String, utf: Bool) throws(CompileError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = utf ? UInt32(PCRE2_UTF) : 0
        let compiled = source.utf8.withContiguousStorageIfAvailable { bytes in
            pcre2_compile_8(bytes.baseAddress, bytes.count, options, &errorCode, &errorOffset, nil)
        } ?? Array(source.utf8).withUnsafeBufferPointer { bytes in
            pcre2_compile_8(bytes.baseAddress, bytes.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else { throw CompileError(message: Self.message(for: errorCode), offset: errorOffset) }
        code = compiled
        isUTF = utf
        // 0 = JIT code for both modes; an error (no JIT on this CPU, or no memory for it) leaves
        // the interpreter, which gives the same answers more slowly.
        isJIT = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE) | UInt32(PCRE2_JIT_PARTIAL_HARD)) == 0
        var maximum: UInt32 = 0
        _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_MAXLOOKBEHIND), &maximum)
        lookbehind = Int(maximum)
    }

    deinit { pcre2_code_free_8(code) }

    enum Outcome {
        case none
        /// A complete match (its start after any `\K`).
        case match(Range<Int>)
        /// The text ends inside a possible match that starts at `start` (partial mode only).
        case partial(start: Int)
    }

    /// Searches `text` from byte `offset`. With `partial`, a match that reaches the end of the
    /// text and might go on (PCRE2_PARTIAL_HARD) is reported as `.partial` instead, as is a
    /// text that ends inside what could still become a match. Throws when PCRE2 gives up (the
    /// match limit, for a custom pattern that backtracks catastrophically).
    func match(_ text: UnsafeRawBufferPointer, from offset: Int, partial: Bool, scratch: MatchScratch) throws(MatchFailure) -> Outcome {
        var options = isUTF ? UInt32(PCRE2_NO_UTF_CHECK) : 0
        if partial { options |= UInt32(PCRE2_PARTIAL_HARD) }
        // PCRE2 wants a non-NULL subject even when it is empty.
        let subject = text.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Self.empty.utf8Start
        let result = pcre2_match_8(code, subject, text.count, offset, options, scratch.data, nil)
        let ovector = pcre2_get_ovector_pointer_8(scratch.data)!
        switch result {
        case 0...: return .match(ovector[0]..<max(ovector[0], ovector[1]))  // 0: captures beyond the one pair kept
        case PCRE2_ERROR_NOMATCH: return .none
        case PCRE2_ERROR_PARTIAL: return .partial(start: ovector[0])
        default: throw MatchFailure(message: Self.message(for: result))
        }
    }

    struct MatchFailure: Error {
        let message: String
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer.prefix(Int(length)), as: UTF8.self) : "PCRE2 error \(code)"
    }

    private static let empty: StaticString = ""
}
