/// Why a JSON Patch was refused, worded for an operator's log:
///
///     operation 2 (replace /messages/5/content): no such array index at /messages/5 (the array has 3 elements)
///
/// The patch is untrusted text, so what the message repeats from it (pointers, an unknown `op`)
/// is cut to `maximumQuotedLength` characters and its control and format characters are written as
/// `\u{…}` escapes: one patch cannot forge log lines. Values from the document are never quoted
/// (they are the client's data): a failed `test` says only what kind of value it found.
public struct JSONPatchError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not a JSON Patch: not JSON, not an array of operation objects, an unknown `op`, a
        /// member missing, repeated or of the wrong type, a pointer that is not a JSON Pointer,
        /// a `move` into its own child, a `remove` of the whole document.
        case malformed
        /// Over a limit: `JSONPatch.maximumOperations`, `maximumSteps`, `maximumRelocatedValues`,
        /// `JSONPointer.maximumLength` or `maximumDepth`, or a result nested deeper than
        /// `JSONReader.maximumDepth`.
        case limitExceeded
        /// `path` or `from` names nothing in the document as it is when the operation runs: a
        /// missing member, an index out of range or not an index, `-` where an element must
        /// exist, a string or number where an object or array must be.
        case pathNotFound
        /// A member name on the way occurs more than once in its object: which one is meant is
        /// ambiguous (JSON parsers disagree on duplicates: some keep the first, most the last).
        case ambiguousPath
        /// A `test` operation found a different value.
        case testFailed
    }

    /// How much of a quoted pointer or name a message keeps, in characters.
    public static let maximumQuotedLength = 200

    public let kind: Kind
    /// The position of the failing operation in the patch (from 0); nil when the document as a
    /// whole is at fault (not JSON, not an array, too many operations).
    public let operationIndex: Int?
    /// What went wrong, without the operation prefix.
    public let reason: String
    /// The operation as written, for the message (`replace /messages/5/content`).
    let operation: String?

    init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
        self.operationIndex = nil
        self.operation = nil
    }

    private init(kind: Kind, reason: String, operationIndex: Int, operation: String?) {
        self.kind = kind
        self.reason = reason
        self.operationIndex = operationIndex
        self.operation = operation
    }

    /// The same failure, blamed on operation `index`.
    func blaming(_ index: Int, _ operation: String?) -> JSONPatchError {
        JSONPatchError(kind: kind, reason: reason, operationIndex: index, operation: operation)
    }

    public var description: String {
        guard let operationIndex else { return reason }
        guard let operation else { return "operation \(operationIndex): \(reason)" }
        return "operation \(operationIndex) (\(operation)): \(reason)"
    }

    /// A pointer's text for a message: `""` for the whole document, else `quoted(_:)`.
    static func quotedPointer(_ text: String) -> String {
        text.isEmpty ? "\"\"" : quoted(text)
    }

    /// Untrusted text made safe to log: shortened, control and format characters escaped.
    static func quoted(_ text: String) -> String {
        var shown = ""
        for (count, scalar) in text.unicodeScalars.enumerated() {
            if count == maximumQuotedLength {
                shown += "…"
                break
            }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned:
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            default:
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}

extension JSONValue {
    /// The kind of value, with its article, for messages: "a string", "an object".
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
