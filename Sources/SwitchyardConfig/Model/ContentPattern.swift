import CPCRE2

/// A content rule's regex, compiled with PCRE2 (UTF mode) when the config loads and immutable
/// afterwards.
///
/// Threading: PCRE2 treats a compiled pattern and a match context as read-only while matching,
/// so one object serves every event loop at once; each match makes its own match data.
public final class ContentPattern: @unchecked Sendable {  // immutable after init; PCRE2 reads `code` concurrently
    public let source: String
    private let code: OpaquePointer
    /// The match and depth limits: content rules run on an event loop, so a pattern that
    /// backtracks badly on some text must give up early (no match) rather than stall the loop
    /// for PCRE2's default of ten million steps.
    private let limits: OpaquePointer?

    static let matchLimit: UInt32 = 100_000
    static let depthLimit: UInt32 = 1_000

    /// PCRE2's message and the byte offset in the pattern.
    public struct CompileError: Error {
        public let message: String
        public let offset: Int
    }

    public init(_ source: String) throws(CompileError) {
        var errorCode: Int32 = 0
        var errorOffset = 0
        let bytes = Array(source.utf8)
        let compiled = bytes.withUnsafeBufferPointer { pointer in
            pcre2_compile_8(pointer.baseAddress, pointer.count, UInt32(PCRE2_UTF), &errorCode, &errorOffset, nil)
        }
        guard let compiled else { throw CompileError(message: Self.message(for: errorCode), offset: errorOffset) }
        _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))  // no JIT: the interpreter answers the same
        self.source = source
        code = compiled
        limits = pcre2_match_context_create_8(nil)
        if let limits {
            pcre2_set_match_limit_8(limits, Self.matchLimit)
            pcre2_set_depth_limit_8(limits, Self.depthLimit)
        }
    }

    deinit {
        if let limits { pcre2_match_context_free_8(limits) }
        pcre2_code_free_8(code)
    }

    /// True when the pattern matches somewhere in `text` (valid UTF-8). A match that hits
    /// PCRE2's limits counts as no match.
    public func matches(_ text: UnsafeRawBufferPointer) -> Bool {
        guard let data = pcre2_match_data_create_from_pattern_8(code, nil) else { return false }
        defer { pcre2_match_data_free_8(data) }
        let subject = text.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? Self.empty.utf8Start
        return pcre2_match_8(code, subject, text.count, 0, 0, data, limits) >= 0
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer.prefix(Int(length)), as: UTF8.self) : "PCRE2 error \(code)"
    }

    private static let empty: StaticString = ""
}
