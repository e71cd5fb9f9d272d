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
    /// entry at the end holds the original's UTF-8 length.
    private(set) var origins: [Int] = []

    init(_ text: String) {
        units.reserveCapacity(text.utf8.count)
        origins.reserveCapacity(text.utf8.count + 1)
        var offset = 0
        for scalar in text.unicodeScalars {
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
    var byteCount: Int { origins[units.count] }

    /// Unit `index` is the first unit of its original scalar (a match may start there).
    func startsScalar(_ index: Int) -> Bool { index == 0 || origins[index - 1] != origins[index] }

    /// A match ending before unit `end` ends on an original scalar's boundary.
    func endsScalar(_ end: Int) -> Bool { end == units.count || origins[end] != origins[end - 1] }

    /// The UTF-8 offset in the original text where unit `index` (or the end, at `count`) starts.
    func byteOffset(_ index: Int) -> Int { origins[index] }

    /// The original UTF-8 byte range of the units in `range`.
    func byteRange(_ range: Range<Int>) -> Range<Int> { origins[range.lowerBound]..<origins[range.upperBound] }
}

/// What counts as part of a word for the boundary rules: letters, decimal digits, the
/// underscore, and combining marks (so "cafe" does not match inside a decomposed "café").
enum WordCharacter {
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
