/// A text lowercased scalar by scalar, remembering where each lowercased scalar came from, so a
/// match found in the lowercased form maps back to a UTF-8 range of the original text.
///
/// Lowercasing is Unicode's (`Unicode.Scalar.Properties.lowercaseMapping`), with an ASCII fast
/// path; one original scalar may give several units ("İ" becomes "i" and U+0307). No
/// normalization: a precomposed "é" and "e" followed by U+0301 are different texts.
struct FoldedText {
    /// The lowercased scalars' values.
    private(set) var units: [UInt32] = []
    /// For each unit, the UTF-8 offset in the original text of the scalar it came from; one more
    /// entry at the end holds the original's UTF-8 length. Empty for an ASCII text, where unit i
    /// is byte i.
    private var origins: [Int] = []

    init(_ text: String) {
        var text = text
        let ascii: [UInt32]? = text.withUTF8 { utf8 in
            guard utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
            return utf8.map { UInt32($0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0) }
        }
        if let ascii {
            units = ascii
        } else {
            units.reserveCapacity(text.utf8.count)
            origins.reserveCapacity(text.utf8.count + 1)
            fold(text.unicodeScalars)
        }
    }

    private mutating func fold(_ scalars: String.UnicodeScalarView) {
        var offset = 0
        for scalar in scalars {
            let value = scalar.value
            if value < 0x80 {
                units.append(value >= 0x41 && value <= 0x5A ? value + 0x20 : value)
                origins.append(offset)
            } else if !scalar.properties.changesWhenLowercased {
                units.append(value)
                origins.append(offset)
            } else {
                for lower in scalar.properties.lowercaseMapping.unicodeScalars {
                    units.append(lower.value)
                    origins.append(offset)
                }
            }
            offset += UTF8.width(scalar)
        }
        origins.append(offset)
    }

    var count: Int { units.count }

    /// The original text's UTF-8 length.
    var byteCount: Int { byteOffset(units.count) }

    /// Unit `index` is the first unit of its original scalar (a match may start there).
    @inline(__always)
    func startsScalar(_ index: Int) -> Bool { origins.isEmpty || index == 0 || origins[index - 1] != origins[index] }

    /// A match ending before unit `end` ends on an original scalar's boundary.
    @inline(__always)
    func endsScalar(_ end: Int) -> Bool { origins.isEmpty || end == units.count || origins[end] != origins[end - 1] }

    /// The UTF-8 offset in the original text where unit `index` (or the end, at `count`) starts.
    func byteOffset(_ index: Int) -> Int { origins.isEmpty ? index : origins[index] }

    /// The original UTF-8 byte range of the units in `range`.
    func byteRange(_ range: Range<Int>) -> Range<Int> { byteOffset(range.lowerBound)..<byteOffset(range.upperBound) }
}

/// What counts as part of a word for the boundary rules: letters, decimal digits, the
/// underscore, and combining marks (so "cafe" does not match inside a decomposed "café").
enum WordCharacter {
    @inline(__always)
    static func contains(_ unit: UInt32) -> Bool {
        if unit < 0x80 {
            return (unit >= 0x61 && unit <= 0x7A) || (unit >= 0x30 && unit <= 0x39) || (unit >= 0x41 && unit <= 0x5A) || unit == 0x5F
        }
        guard let scalar = Unicode.Scalar(unit) else { return false }
        switch scalar.properties.generalCategory {
        case .lowercaseLetter, .uppercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .decimalNumber, .nonspacingMark, .spacingMark:
            return true
        default:
            return false
        }
    }
}
