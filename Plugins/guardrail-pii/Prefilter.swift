#if canImport(Glibc)
import Glibc
#endif

/// A cheap necessary condition for a detector's matches, tested before PCRE2 scans a text. Each
/// JIT scan costs about a nanosecond per byte even when nothing matches (most chat text), and
/// the condition is exact: a text that fails it has no match, so skipping the scan changes
/// nothing. The email pattern benefits most: PCRE2's own required-byte shortcut keys on its last
/// literal (the domain's `.`, present in every sentence), not on its `@`.
struct Prefilter: Sendable {
    /// A byte every match contains (the email's `@`).
    var requiredByte: UInt8? = nil
    /// The fewest digits a match has (card 13, phone 8).
    var minimumDigits = 0

    static let none = Prefilter()

    /// Whether `text` may hold a match. Streaming, a partial match (the start of a card number,
    /// the local part of an email) may lack both, and is what the chunk phase holds back: only a
    /// required byte that partial matches must contain before they hold anything still counts.
    func admits(_ text: inout TextFacts, streaming: Bool, heldPartialsContain holdByte: UInt8?) -> Bool {
        if let requiredByte, !streaming || holdByte == requiredByte, !text.contains(requiredByte) { return false }
        if minimumDigits > 0, !streaming, text.digits < minimumDigits { return false }
        return true
    }
}

/// What prefilters ask about one text, computed once for all detectors.
struct TextFacts {
    let bytes: UnsafeRawBufferPointer
    private var digitCount: Int?

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    func contains(_ byte: UInt8) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return false }
        return memchr(base, Int32(byte), bytes.count) != nil
    }

    var digits: Int {
        mutating get {
            if let digitCount { return digitCount }
            // A loop the compiler vectorizes: no early exit, no bounds checks, wrapping adds.
            var count = 0
            if let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) {
                for index in 0..<bytes.count { count &+= base[index] &- UInt8(ascii: "0") < 10 ? 1 : 0 }
            }
            digitCount = count
            return count
        }
    }
}
