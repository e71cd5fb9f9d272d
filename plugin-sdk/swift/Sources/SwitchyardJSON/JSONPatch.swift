/// An RFC 6902 JSON Patch: operations applied in order to a JSON document. The host applies
/// guardrail plugins' patches (`SY_PATCH_JSON_PATCH`) to requests and responses with it.
///
/// ```swift
/// let patch = try JSONPatch(parsing: #"[{"op":"replace","path":"/messages/0/content","value":"[redacted]"}]"#)
/// let redacted = try request.applyingPatch(patch)
/// ```
///
/// Atomic: `apply(to:)` returns the patched document, or throws and the input is as it was (a
/// value; nothing is shared with the caller). The first failing operation stops the patch, and
/// the error names it: `operation 2 (replace /messages/5/content): no such array index at
/// /messages/5 (the array has 3 elements)`.
///
/// Semantics, RFC 6902 §4 with the choices it leaves open:
/// - `add` to an object appends a new member at the end, or replaces an existing member's value
///   in its place; `replace` keeps the member's position. `add` at `/array/-` appends, at an
///   index up to the array's count inserts. `add` or `replace` at `""` replaces the document;
///   `remove` of `""` is refused.
/// - `move` is `remove` then `add` (an array index in `path` counts after the removal); moving a
///   value into its own child is refused; `from` equal to `path` only checks that it exists.
/// - `test` compares by value: numbers numerically (`1`, `1.0` and `10e-1` are equal, exactly,
///   however many digits; only an exponent of more than 15 digits falls back to comparing text),
///   strings and member names by code points, objects regardless of order.
/// - A member name that occurs twice in an object the operation goes through is refused
///   (`JSONPatchError.Kind.ambiguousPath`) rather than guessed at.
/// - Members of an operation other than `op`, `path`, `from` and `value` are ignored; one of
///   those four given twice is refused.
///
/// Limits against a hostile patch, each failing with `JSONPatchError.Kind.limitExceeded`:
/// - at most `maximumOperations` operations (parsing stops there);
/// - pointers of at most `JSONPointer.maximumLength` bytes and `JSONPointer.maximumDepth` tokens;
/// - the result nests no deeper than `JSONReader.maximumDepth`, like any document the reader
///   accepts (recursive code downstream, serializing or freeing it, stays within its stack);
/// - `copy`, and `move` to a deeper place, measure the value they carry; together they may carry
///   at most `maximumRelocatedValues` values (scalars and containers) per patch. Without this,
///   thirty copies of the document into itself would make it a billion values.
/// - at most `maximumSteps` steps per patch: one per operation, one per member compared in an
///   object lookup (every member, to catch a duplicate name), one per array element shifted by
///   an insert or a removal. Without this, 10,000 `add`s of new members to an object of a million
///   (the client's: a 32 MiB body) would compare 10^10 names.
/// Anything else a patch costs is bounded by its own text, whose size the caller bounds.
///
/// A patch is an immutable value and `Sendable`: parse once, apply from any thread.
public struct JSONPatch: Sendable, Equatable {
    public static let maximumOperations = 10_000
    public static let maximumSteps = 20_000_000
    public static let maximumRelocatedValues = 1_000_000

    public enum Operation: Sendable, Equatable {
        case add(path: JSONPointer, value: JSONValue)
        case remove(path: JSONPointer)
        case replace(path: JSONPointer, value: JSONValue)
        case move(from: JSONPointer, path: JSONPointer)
        case copy(from: JSONPointer, path: JSONPointer)
        case test(path: JSONPointer, value: JSONValue)
    }

    public let operations: [Operation]

    public init(_ operations: [Operation]) {
        self.operations = operations
    }

    /// The document with every operation applied in order; throws at the first one that fails,
    /// leaving `value` untouched.
    public func apply(to value: JSONValue) throws(JSONPatchError) -> JSONValue {
        var document = value
        var budget = PatchBudget()
        for (index, operation) in operations.enumerated() {
            do {
                try document.apply(operation, budget: &budget)
            } catch {
                throw error.blaming(index, operation.summary)
            }
        }
        return document
    }
}

extension JSONValue {
    /// This document with `patch` applied: `patch.apply(to: self)`.
    public func applyingPatch(_ patch: JSONPatch) throws(JSONPatchError) -> JSONValue {
        try patch.apply(to: self)
    }
}

extension JSONPatch.Operation {
    /// The operation as an operator reads it: `replace /messages/5/content`, `move from /a to /b`.
    var summary: String {
        switch self {
        case .add(let path, _): Self.summary("add", path: path.description, from: nil)
        case .remove(let path): Self.summary("remove", path: path.description, from: nil)
        case .replace(let path, _): Self.summary("replace", path: path.description, from: nil)
        case .move(let from, let path): Self.summary("move", path: path.description, from: from.description)
        case .copy(let from, let path): Self.summary("copy", path: path.description, from: from.description)
        case .test(let path, _): Self.summary("test", path: path.description, from: nil)
        }
    }

    /// The summary from the patch's text (also used before the operation could be parsed).
    static func summary(_ op: String, path: String?, from: String?) -> String {
        var text = JSONPatchError.quoted(op)
        if let from { text += " from " + JSONPatchError.quotedPointer(from) }
        if let path { text += (from == nil ? " " : " to ") + JSONPatchError.quotedPointer(path) }
        return text
    }
}
