/// A place in a configuration source: file name plus 1-based line and column.
///
/// `line == 0` means "the file as a whole" (it could not be opened, or it is empty): the
/// description is then the file name alone.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The name the source was loaded under (a path as given, or a label such as `<embedded>`).
    public var file: String
    /// 1-based line; 0 when the location is the whole file.
    public var line: Int
    /// 1-based column, counted in characters (Unicode scalars), as libyaml counts them.
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The location of a YAML node inside `file`.
    public init(file: String, mark: YAMLNode.Mark) {
        self.init(file: file, line: mark.line, column: mark.column)
    }

    /// The file as a whole, with no position.
    public static func wholeFile(_ file: String) -> SourceLocation {
        SourceLocation(file: file, line: 0, column: 0)
    }

    /// `file:line:column`, or `file` alone for a whole-file location.
    public var description: String {
        line == 0 ? file : "\(file):\(line):\(column)"
    }
}
