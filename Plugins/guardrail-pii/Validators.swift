/// Checks a regex candidate must pass to count (a pattern alone cannot do arithmetic). Inputs are
/// the matched bytes, separators included; all functions are pure.
enum Validators {
    /// Luhn (ISO/IEC 7812): from the rightmost digit, every second digit doubled (minus 9 above
    /// 9); the sum is a multiple of 10. Separators are skipped.
    static func passesLuhn(_ candidate: UnsafeRawBufferPointer) -> Bool {
        var sum = 0
        var doubled = false
        var digits = 0
        for byte in candidate.reversed() where isDigit(byte) {
            var value = Int(byte &- UInt8(ascii: "0"))
            if doubled {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
            doubled.toggle()
            digits += 1
        }
        return (13...19).contains(digits) && sum % 10 == 0
    }

    /// ISO 13616: 15-34 characters once spaces are removed; with the first four moved to the end
    /// and each letter read as two digits (A = 10 ... Z = 35), the number mod 97 is 1. Computed
    /// a digit at a time, so no big integers. No per-country length table: the checksum leaves
    /// one random candidate in 97, and a candidate already has the IBAN's shape.
    static func passesIBANCheck(_ candidate: UnsafeRawBufferPointer) -> Bool {
        var remainder = 0
        func fold(_ byte: UInt8) -> Bool {
            if isDigit(byte) {
                remainder = (remainder * 10 + Int(byte - UInt8(ascii: "0"))) % 97
            } else if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") {
                remainder = (remainder * 100 + Int(byte - UInt8(ascii: "A")) + 10) % 97
            } else {
                return false
            }
            return true
        }
        // The BBAN first, then country code and check digits; spaces are not part of the number.
        var length = 0
        for byte in candidate where byte != UInt8(ascii: " ") {
            if length >= 4, !fold(byte) { return false }
            length += 1
        }
        guard (15...34).contains(length) else { return false }
        var head = 0
        for byte in candidate where byte != UInt8(ascii: " ") && head < 4 {
            guard fold(byte) else { return false }
            head += 1
        }
        return remainder == 1
    }

    /// International numbers (`+` and country code) have 8-15 digits (E.164 allows 15); national
    /// ones 9-12, which leaves out dates such as 01.02.2023 (8 digits).
    static func hasPhoneDigitCount(_ candidate: UnsafeRawBufferPointer) -> Bool {
        let digits = candidate.reduce(0) { $0 + (isDigit($1) ? 1 : 0) }
        return candidate.first == UInt8(ascii: "+") ? (8...15).contains(digits) : (9...12).contains(digits)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
