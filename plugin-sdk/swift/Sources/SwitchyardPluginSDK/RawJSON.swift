#if canImport(Glibc)
import Glibc
#endif

/// Reading a few facts out of JSON in a borrowed buffer without building a tree or allocating:
/// for observers (enrichers) that look at a member or two of every stream event.
public enum RawJSON {
    /// Validates `document` as exactly one JSON object and calls `member` for each top-level
    /// member, in order: the key as written (escapes not decoded) and the value's bytes, both
    /// borrowed from `document`. False (after calls for the members before the fault) when
    /// `document` is not one JSON object, e.g. a body cut short.
    @discardableResult
    public static func forEachMember(_ document: UnsafeRawBufferPointer,
                                     _ member: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) -> Void) -> Bool {
        do {
            try JSONValidation.forEachMember(document) { key, _, range in
                member(key, UnsafeRawBufferPointer(rebasing: document[range]))
                return true
            }
            return true
        } catch {
            return false
        }
    }

    /// Whether `document` may have a member named `key`: the quoted key occurs in its bytes.
    /// Text inside a string cannot produce it (its quotes are escaped); only a string value that
    /// is exactly the key can, so true means "maybe" and false "certainly not": a stream observer
    /// skips the events that cannot carry what it wants without parsing them.
    public static func mentions(_ document: UnsafeRawBufferPointer, _ key: StaticString) -> Bool {
        guard let base = document.baseAddress, key.utf8CodeUnitCount > 0 else { return false }
        let length = key.utf8CodeUnitCount
        let first = Int32(key.utf8Start.pointee)
        let name = UnsafeRawBufferPointer(start: key.utf8Start, count: length)
        var offset = 1
        // memchr to each candidate first byte, then the key and its closing quote compared.
        while offset + length < document.count {
            guard let found = memchr(base + offset, first, document.count - offset - length) else { return false }
            let at = base.distance(to: UnsafeRawPointer(found))
            if document[at - 1] == UInt8(ascii: "\""), document[at + length] == UInt8(ascii: "\""),
               UnsafeRawBufferPointer(rebasing: document[at..<(at + length)]).elementsEqual(name) {
                return true
            }
            offset = at + 1
        }
        return false
    }

    /// Whether a key (as `forEachMember` hands it) is `name`, byte for byte.
    @inline(__always)
    public static func key(_ key: UnsafeRawBufferPointer, is name: StaticString) -> Bool {
        JSONValidation.key(key, is: name)
    }

    /// A non-negative integer value of at most 18 digits; nil for anything else (null, a string,
    /// a fraction, an exponent, a sign).
    public static func integer(_ value: UnsafeRawBufferPointer) -> Int? {
        guard JSONValidation.isNonNegativeInteger(value) else { return nil }
        var result = 0
        for byte in value { result = result * 10 + Int(byte - UInt8(ascii: "0")) }
        return result
    }

    /// A string value, unescaped; nil for anything else.
    public static func string(_ value: UnsafeRawBufferPointer) -> String? {
        guard value.first == UInt8(ascii: "\"") else { return nil }
        var reader = JSONReader(value)
        return try? reader.readString()
    }

    /// Whether the value is an object (not null, not absent).
    @inline(__always)
    public static func isObject(_ value: UnsafeRawBufferPointer) -> Bool { value.first == UInt8(ascii: "{") }

    /// Whether the value is exactly `literal`, given as raw JSON (`#""message_start""#`, `"true"`).
    @inline(__always)
    public static func value(_ value: UnsafeRawBufferPointer, is literal: StaticString) -> Bool {
        value.count == literal.utf8CodeUnitCount
            && value.elementsEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
