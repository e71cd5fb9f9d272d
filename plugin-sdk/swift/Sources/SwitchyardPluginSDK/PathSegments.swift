/// The segments of a borrowed URL path, one at a time, without allocating: for plugins that
/// tell routes apart (`/v1/chat/completions`, `/v1beta/models/m:generateContent`). Empty
/// segments (`//`, a trailing `/`) are skipped. A value type: copy it to look ahead.
public struct PathSegments {
    public let path: UnsafeRawBufferPointer
    /// Where the next segment search starts.
    public private(set) var offset = 0

    /// `path` without its query (`ExchangeHead.route`).
    public init(_ path: UnsafeRawBufferPointer) {
        self.path = path
    }

    /// The next non-empty segment, or nil at the end.
    public mutating func next() -> UnsafeRawBufferPointer? {
        while offset < path.count, path[offset] == UInt8(ascii: "/") { offset += 1 }
        guard offset < path.count else { return nil }
        let start = offset
        while offset < path.count, path[offset] != UInt8(ascii: "/") { offset += 1 }
        return UnsafeRawBufferPointer(rebasing: path[start..<offset])
    }

    /// What is left after the segments read so far, from its `/` (empty at the end).
    public var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: path[offset...]) }

    /// Whether exactly `first` (and `second`) remain.
    public func remaining(are first: StaticString, _ second: StaticString? = nil) -> Bool {
        var copy = self
        guard Self.bytes(copy.next(), are: first) else { return false }
        if let second, !Self.bytes(copy.next(), are: second) { return false }
        return copy.next() == nil
    }

    /// Byte-for-byte equality with a literal.
    @inline(__always)
    public static func bytes(_ bytes: UnsafeRawBufferPointer?, are literal: StaticString) -> Bool {
        guard let bytes, bytes.count == literal.utf8CodeUnitCount else { return false }
        return bytes.elementsEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// Whether `bytes` is one of `literals`.
    public static func bytes(_ bytes: UnsafeRawBufferPointer?, isOneOf literals: [StaticString]) -> Bool {
        literals.contains { Self.bytes(bytes, are: $0) }
    }
}
