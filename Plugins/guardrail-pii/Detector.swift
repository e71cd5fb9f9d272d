/// One kind of personal data or secret: a compiled pattern, a check its candidates must pass,
/// and the name used in placeholders and rejection messages. Immutable, shared by every call;
/// a class, so the scan loop passes detectors by reference instead of copying their fields.
final class Detector: Sendable {
    /// `email`, `card`, ... or a custom pattern's name.
    let name: String
    let pattern: Pattern
    let validation: Validation
    /// For the chunk phase: a partial match holds text back only once it contains this byte
    /// (the email detector's `@`, unless `stream_hold_words`), so a window ending in an ordinary
    /// word is not delayed. nil: every partial match holds.
    let holdsOnceItContains: UInt8?
    /// Tested before the pattern runs on a text (Prefilter.swift).
    let prefilter: Prefilter
    /// The placeholder with `{type}` replaced by `name`, as UTF-8, built once.
    let placeholder: [UInt8]
    /// Characters before a partial match held back with it, so the next window gives the pattern's
    /// lookbehind the same context. 0 for the built-ins: their lookbehinds are all negative, and
    /// a negative lookbehind that passed in context also passes at the start of the next window.
    /// A custom pattern's may be positive (`(?<=card: )\d+`): it holds its maximum lookbehind.
    let heldContext: Int

    /// What a regex candidate must also satisfy to count.
    enum Validation: Sendable {
        case none
        /// Payment card numbers: the Luhn checksum over the digits.
        case luhn
        /// IBANs: the ISO 13616 mod-97 check.
        case ibanMod97
        /// Phone numbers: 8-15 digits after a `+`, 9-12 otherwise (Validators.swift).
        case phoneDigitCount
    }

    init(name: String, pattern: Pattern, validation: Validation, holdsOnceItContains: UInt8?, prefilter: Prefilter,
         placeholder: [UInt8], heldContext: Int) {
        self.name = name
        self.pattern = pattern
        self.validation = validation
        self.holdsOnceItContains = holdsOnceItContains
        self.prefilter = prefilter
        self.placeholder = placeholder
        self.heldContext = heldContext
    }

    func accepts(_ candidate: UnsafeRawBufferPointer) -> Bool {
        switch validation {
        case .none: true
        case .luhn: Validators.passesLuhn(candidate)
        case .ibanMod97: Validators.passesIBANCheck(candidate)
        case .phoneDigitCount: Validators.hasPhoneDigitCount(candidate)
        }
    }
}

/// A detected span of one text, in bytes; `detector` indexes the instance's detector list.
struct Finding: Equatable {
    var start: Int
    var end: Int
    var detector: Int
}
