/// An RFC 6901 JSON Pointer: where a value sits inside a JSON document, as a list of reference
/// tokens. `""` is the whole document; `/messages/0/content` is the member `content` of element 0
/// of the member `messages`. In the text form `~1` stands for `/` and `~0` for `~` (`/a~1b` names
/// the member `a/b`); `tokens` holds them unescaped.
///
/// Matching follows RFC 6901 §4, not Swift's `String ==`: a token names a member whose name has
/// the same code points (Swift would also match a canonically equivalent name, `é` for `e` +
/// U+0301), and an array element only when it is `0` or digits without a leading zero. `-` names
/// the nonexistent element after the last one (where JSON Patch `add` appends). A member name
/// that occurs twice in its object names nothing: which of the two is meant is ambiguous.
///
/// Limits, checked by `init(parsing:)` because the text usually comes from an untrusted patch:
/// at most `maximumLength` bytes and `maximumDepth` tokens (a deeper pointer cannot name anything
/// in a document `JSONReader` accepts).
///
/// ```swift
/// let pointer = try JSONPointer(parsing: "/messages/0/content")
/// let content = request.value(at: pointer)?.stringValue
/// ```
public struct JSONPointer: Sendable, Equatable, CustomStringConvertible {
    public static let maximumLength = 4096
    public static let maximumDepth = JSONReader.maximumDepth

    /// The whole document (`""`).
    public static let root = JSONPointer(tokens: [])

    /// The reference tokens, unescaped.
    public let tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// Parses the text form (`/a~1b/0`). The error's offset is a byte offset into `text`.
    public init(parsing text: String) throws(JSONError) {
        let bytes = Array(text.utf8)
        if bytes.count > Self.maximumLength {
            throw JSONError("a JSON Pointer longer than \(Self.maximumLength) bytes", at: Self.maximumLength)
        }
        guard let first = bytes.first else {
            tokens = []
            return
        }
        guard first == UInt8(ascii: "/") else { throw JSONError("a JSON Pointer must be empty or start with '/'", at: 0) }
        var tokens: [String] = []
        var token: [UInt8] = []
        var index = 1
        while true {
            if index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                // '/' and '~' are ASCII, never inside a multi-byte sequence: the token is valid UTF-8.
                tokens.append(String(decoding: token, as: UTF8.self))
                token.removeAll(keepingCapacity: true)
                if index == bytes.count { break }
                if tokens.count == Self.maximumDepth {
                    throw JSONError("a JSON Pointer with more than \(Self.maximumDepth) tokens", at: index)
                }
            } else if bytes[index] == UInt8(ascii: "~") {
                switch index + 1 < bytes.count ? bytes[index + 1] : 0 {
                case UInt8(ascii: "0"): token.append(UInt8(ascii: "~"))
                case UInt8(ascii: "1"): token.append(UInt8(ascii: "/"))
                default: throw JSONError("'~' must be followed by '0' or '1' in a JSON Pointer", at: index)
                }
                index += 1
            } else {
                token.append(bytes[index])
            }
            index += 1
        }
        self.tokens = tokens
    }

    /// The text form, escaped (`/a~1b/0`); `""` for the whole document.
    public var description: String {
        var text = ""
        for token in tokens {
            text += "/"
            guard token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else {
                text += token
                continue
            }
            for scalar in token.unicodeScalars {
                switch scalar {
                case "~": text += "~0"
                case "/": text += "~1"
                default: text.unicodeScalars.append(scalar)
                }
            }
        }
        return text
    }

    /// Token by token, code point by code point.
    public static func == (lhs: JSONPointer, rhs: JSONPointer) -> Bool {
        lhs.tokens.count == rhs.tokens.count && zip(lhs.tokens, rhs.tokens).allSatisfy(sameCodePoints)
    }

    /// Whether `other` lies strictly inside the value this pointer names (`/a` of `/a/b`, not of `/ab`).
    func isProperPrefix(of other: JSONPointer) -> Bool {
        tokens.count < other.tokens.count && zip(tokens, other.tokens).allSatisfy(sameCodePoints)
    }

    /// The first `count` tokens.
    func prefix(_ count: Int) -> JSONPointer {
        JSONPointer(tokens: Array(tokens.prefix(count)))
    }

    /// What a token means as an array index.
    enum ArrayPosition: Equatable {
        case index(Int)
        /// `-`: after the last element.
        case end
        /// Not `0`, `-` or digits without a leading zero.
        case invalid
    }

    static func arrayPosition(_ token: String) -> ArrayPosition {
        let utf8 = token.utf8
        guard let first = utf8.first else { return .invalid }
        if utf8.count == 1 && first == UInt8(ascii: "-") { return .end }
        guard utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return .invalid }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? .index(0) : .invalid }
        // Past 18 digits no array can be that long; Int.max keeps the arithmetic from overflowing.
        guard utf8.count <= 18 else { return .index(Int.max) }
        return .index(utf8.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
    }
}

extension JSONObject {
    /// Where a member name is, matched code point by code point over every entry.
    enum Lookup: Equatable {
        case found(Int)
        case missing
        /// The name occurs more than once.
        case duplicate
    }

    func lookup(_ name: String) -> Lookup {
        var found: Int?
        for index in entries.indices where sameCodePoints(entries[index].key, name) {
            if found != nil { return .duplicate }
            found = index
        }
        return found.map(Lookup.found) ?? .missing
    }
}

extension JSONValue {
    /// The value `pointer` names; nil when it names nothing (a missing member, an index out of
    /// range or `-`, a scalar on the way, a member name that occurs twice in its object).
    public func value(at pointer: JSONPointer) -> JSONValue? {
        var budget = PatchBudget.unlimited
        return try? resolve(pointer, role: .path, budget: &budget)
    }
}

/// RFC 6901 and RFC 6902 compare names and strings by code points: equal UTF-8 bytes.
@inline(__always)
func sameCodePoints(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.count == rhs.utf8.count && lhs.utf8.elementsEqual(rhs.utf8)
}
