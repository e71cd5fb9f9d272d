/// What a plain scalar means under the YAML 1.2 core schema.
///
/// YAML 1.1's `yes`/`no`/`on`/`off` are deliberately strings here (1.2 behaviour): `country: NO`
/// must not become `false`. Quoted scalars are never resolved; callers check the style first.
enum ScalarResolution: Sendable, Equatable {
    case null
    case bool(Bool)
    /// An integer, as canonical JSON number text (no `+`, no leading zeros, decimal).
    case integer(String)
    /// A finite float, as canonical JSON number text (`.5` → `0.5`, `1.` → `1.0`).
    case float(String)
    /// `.inf`, `-.inf`, `.nan`: valid YAML, but JSON has no spelling for them.
    case nonFinite(String)
    case string

    static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    static func resolve(_ text: String) -> ScalarResolution {
        if isNull(text) { return .null }
        switch text {
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
            ".nan", ".NaN", ".NAN":
            return .nonFinite(text)
        default: break
        }
        let bytes = Array(text.utf8)
        if let integer = integerText(bytes) { return integer }
        if let float = floatText(bytes) { return .float(float) }
        return .string
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`. Hex and octal must fit in 64 bits.
    private static func integerText(_ bytes: [UInt8]) -> ScalarResolution? {
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let radix: UInt64? = bytes[1] == UInt8(ascii: "x") ? 16 : bytes[1] == UInt8(ascii: "o") ? 8 : nil
            if let radix {
                guard let value = UInt64(String(decoding: bytes[2...], as: UTF8.self), radix: Int(radix)) else {
                    return bytes[2...].allSatisfy { isDigit($0, radix: radix) } ? .string : nil
                }
                return .integer(String(value))
            }
        }
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        let digits = bytes[index...]
        guard !digits.isEmpty, digits.allSatisfy({ isDigit($0, radix: 10) }) else { return nil }
        let trimmed = digits.drop { $0 == UInt8(ascii: "0") }
        let magnitude = trimmed.isEmpty ? "0" : String(decoding: trimmed, as: UTF8.self)
        return .integer(negative && magnitude != "0" ? "-" + magnitude : magnitude)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, rewritten as a JSON number.
    private static func floatText(_ bytes: [UInt8]) -> String? {
        var index = 0
        var out = ""
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            if bytes[index] == UInt8(ascii: "-") { out = "-" }
            index += 1
        }
        let integerStart = index
        while index < bytes.count, isDigit(bytes[index], radix: 10) { index += 1 }
        let hadIntegerDigits = index > integerStart
        let integerDigits = bytes[integerStart..<index].drop { $0 == UInt8(ascii: "0") }
        var fractionDigits: ArraySlice<UInt8> = []
        var sawPoint = false
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            sawPoint = true
            index += 1
            let fractionStart = index
            while index < bytes.count, isDigit(bytes[index], radix: 10) { index += 1 }
            fractionDigits = bytes[fractionStart..<index]
        }
        guard hadIntegerDigits || !fractionDigits.isEmpty else { return nil }
        out += integerDigits.isEmpty ? "0" : String(decoding: integerDigits, as: UTF8.self)
        out += "." + (fractionDigits.isEmpty ? "0" : String(decoding: fractionDigits, as: UTF8.self))
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponent = "e"
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponent.append(Character(Unicode.Scalar(bytes[index])))
                index += 1
            }
            let exponentStart = index
            while index < bytes.count, isDigit(bytes[index], radix: 10) { index += 1 }
            guard index > exponentStart else { return nil }
            out += exponent + String(decoding: bytes[exponentStart..<index], as: UTF8.self)
        } else if !sawPoint {
            return nil  // digits alone are an integer, handled before
        }
        return index == bytes.count ? out : nil
    }

    private static func isDigit(_ byte: UInt8, radix: UInt64) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "7"): return true
        case UInt8(ascii: "8"), UInt8(ascii: "9"): return radix >= 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): return radix == 16
        default: return false
        }
    }
}
