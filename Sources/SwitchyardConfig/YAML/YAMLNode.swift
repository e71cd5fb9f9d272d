/// A YAML node after parsing: anchors and aliases are resolved, merge keys (`<<`) applied, and
/// every node remembers where it started in the source.
///
/// The tree is a value: aliases share storage copy-on-write, so an anchor used many times costs
/// one copy. Tags are not kept; `!!str` turns a plain scalar into a quoted one (see `YAMLReader`).
public struct YAMLNode: Sendable, Hashable {
    /// A 1-based line and column (columns count characters, as libyaml does).
    public struct Mark: Sendable, Hashable, CustomStringConvertible {
        public var line: Int
        public var column: Int

        public init(line: Int, column: Int) {
            self.line = line
            self.column = column
        }

        public var description: String { "\(line):\(column)" }
    }

    /// How a scalar was written. Only plain scalars are resolved to null, booleans and numbers;
    /// every other style (single- or double-quoted, literal `|`, folded `>`) is a string.
    public enum ScalarStyle: Sendable, Hashable {
        case plain
        case quoted
    }

    /// One key/value entry of a mapping; keys are always scalars in this reader.
    public struct Pair: Sendable, Hashable {
        public var key: YAMLNode
        public var value: YAMLNode

        public init(key: YAMLNode, value: YAMLNode) {
            self.key = key
            self.value = value
        }
    }

    public indirect enum Content: Sendable, Hashable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        /// Pairs in source order; keys are unique (the reader rejects duplicates).
        case mapping([Pair])
    }

    public var content: Content
    public var mark: Mark

    public init(_ content: Content, mark: Mark) {
        self.content = content
        self.mark = mark
    }

    /// The scalar's text, or nil for a collection.
    public var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }

    /// True for a plain scalar that YAML's core schema reads as null: empty, `~`, `null`.
    public var isNull: Bool {
        if case .scalar(let text, .plain) = content { return ScalarResolution.isNull(text) }
        return false
    }
}
