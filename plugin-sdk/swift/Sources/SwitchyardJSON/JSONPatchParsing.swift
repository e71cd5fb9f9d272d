extension JSONPatch {
    /// Parses a JSON Patch document: a JSON array of operation objects, read as strictly as
    /// `JSONValue.parse`. Operations are read one at a time, so a patch with more than
    /// `maximumOperations` is refused without building the rest.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONPatchError) {
        var reader = JSONReader(bytes)
        reader.skipWhitespace()
        if reader.peek() != UInt8(ascii: "[") {
            let document = try Self.readingJSON { () throws(JSONError) in try JSONValue.parse(bytes) }
            throw JSONPatchError(.malformed, "a JSON Patch must be an array of operations, found \(document.kindName)")
        }
        var operations: [Operation] = []
        var more = try Self.readingJSON { () throws(JSONError) in try reader.enterArray() }
        while more {
            if operations.count == Self.maximumOperations {
                throw JSONPatchError(.limitExceeded, "the patch has more than \(Self.maximumOperations) operations")
            }
            let element = try Self.readingJSON { () throws(JSONError) in try reader.readValue(depth: 1) }
            operations.append(try Operation(parsing: element, index: operations.count))
            more = try Self.readingJSON { () throws(JSONError) in try !reader.endOfContainer(UInt8(ascii: "]")) }
        }
        try Self.readingJSON { () throws(JSONError) in try reader.expectEnd() }
        self.init(operations)
    }

    public init(parsing bytes: [UInt8]) throws(JSONPatchError) {
        do {
            self = try bytes.withUnsafeBytes { raw throws(JSONPatchError) in try JSONPatch(parsing: raw) }
        } catch let error as JSONPatchError {
            throw error
        } catch {
            fatalError("unreachable: \(error)")
        }
    }

    public init(parsing text: String) throws(JSONPatchError) {
        try self.init(parsing: Array(text.utf8))
    }

    private static func readingJSON<Result>(_ body: () throws(JSONError) -> Result) throws(JSONPatchError) -> Result {
        do {
            return try body()
        } catch {
            throw JSONPatchError(.malformed, "the patch is not valid JSON: \(error)")
        }
    }
}

extension JSONReader {
    /// Moves past the opening bracket at the current offset; false when the array is empty (and closed).
    fileprivate mutating func enterArray() throws(JSONError) -> Bool {
        offset += 1
        skipWhitespace()
        guard peek() == UInt8(ascii: "]") else { return true }
        offset += 1
        return false
    }
}

extension JSONPatch.Operation {
    /// The members an operation may have, in the order `init(parsing:index:)` keeps them.
    private static let memberNames = ["op", "path", "from", "value"]

    /// One element of a patch document; errors name it by `index`.
    init(parsing element: JSONValue, index: Int) throws(JSONPatchError) {
        guard case .object(let object) = element else {
            throw JSONPatchError(.malformed, "an operation must be a JSON object, found \(element.kindName)").blaming(index, nil)
        }
        var members: [JSONValue?] = [nil, nil, nil, nil]
        var repeated: String?
        for entry in object {
            guard let slot = Self.memberNames.firstIndex(where: { sameCodePoints($0, entry.key) }) else { continue }
            if members[slot] != nil { repeated = repeated ?? Self.memberNames[slot] }
            members[slot] = entry.value
        }
        let (op, path, from, value) = (members[0], members[1], members[2], members[3])
        // The operation as written, for messages, as far as it can be read.
        let summary = op?.stringValue.map { Self.summary($0, path: path?.stringValue, from: from?.stringValue) }
        do throws(JSONPatchError) {
            if let repeated { throw JSONPatchError(.malformed, "\"\(repeated)\" is given twice") }
            guard let op else { throw JSONPatchError(.malformed, "missing \"op\"") }
            guard case .string(let name) = op else { throw JSONPatchError(.malformed, "\"op\" must be a string, found \(op.kindName)") }
            switch name {
            case _ where sameCodePoints(name, "add"):
                self = .add(path: try Self.pointer(path, "path"), value: try Self.value(value))
            case _ where sameCodePoints(name, "remove"):
                self = .remove(path: try Self.pointer(path, "path"))
            case _ where sameCodePoints(name, "replace"):
                self = .replace(path: try Self.pointer(path, "path"), value: try Self.value(value))
            case _ where sameCodePoints(name, "move"):
                self = .move(from: try Self.pointer(from, "from"), path: try Self.pointer(path, "path"))
            case _ where sameCodePoints(name, "copy"):
                self = .copy(from: try Self.pointer(from, "from"), path: try Self.pointer(path, "path"))
            case _ where sameCodePoints(name, "test"):
                self = .test(path: try Self.pointer(path, "path"), value: try Self.value(value))
            default:
                throw JSONPatchError(
                    .malformed, "unknown op \"\(JSONPatchError.quoted(name))\" (expected add, remove, replace, move, copy or test)")
            }
        } catch {
            throw error.blaming(index, summary)
        }
    }

    private static func pointer(_ member: JSONValue?, _ name: String) throws(JSONPatchError) -> JSONPointer {
        guard let member else { throw JSONPatchError(.malformed, "missing \"\(name)\"") }
        guard case .string(let text) = member else {
            throw JSONPatchError(.malformed, "\"\(name)\" must be a string (a JSON Pointer), found \(member.kindName)")
        }
        do {
            return try JSONPointer(parsing: text)
        } catch {
            // The pointer's own limits are limits of the patch too.
            let tooBig = text.utf8.count > JSONPointer.maximumLength
                || text.utf8.count(where: { $0 == UInt8(ascii: "/") }) > JSONPointer.maximumDepth
            throw JSONPatchError(tooBig ? .limitExceeded : .malformed, "\"\(name)\": \(error)")
        }
    }

    private static func value(_ member: JSONValue?) throws(JSONPatchError) -> JSONValue {
        guard let member else { throw JSONPatchError(.malformed, "missing \"value\"") }
        return member
    }
}
