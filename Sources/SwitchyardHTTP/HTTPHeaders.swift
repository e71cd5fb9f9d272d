/// Header fields in the order received or added; lookups ignore case, as HTTP requires.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var pairs: [(name: String, value: String)]

    public init(_ pairs: [(String, String)] = []) {
        self.pairs = pairs.map { (name: $0.0, value: $0.1) }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        pairs.first(where: { Self.equalIgnoringCase($0.name, name) })?.value
    }

    public func values(_ name: String) -> [String] {
        pairs.filter { Self.equalIgnoringCase($0.name, name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { self[name] != nil }

    public mutating func add(_ name: String, _ value: String) {
        pairs.append((name, value))
    }

    public var count: Int { pairs.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { pairs.makeIterator() }

    /// ASCII case-insensitive comparison without allocating lowercased copies.
    public static func equalIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while true {
            switch (left.next(), right.next()) {
            case (nil, nil): return true
            case let (a?, b?) where a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A): continue
            default: return false
            }
        }
    }
}
