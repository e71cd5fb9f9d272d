/// Any problem with a configuration source, from a missing file to a bad alias target.
///
/// The description is what an operator sees, in the compiler-style format editors understand:
///
///     config/switchyard.yaml:12:7: providers[0].plugin: unknown plugin "opnai" (known: echo, openai)
///
/// that is `location: keyPath: message`, with `keyPath: ` left out when the problem is not inside
/// a key (a syntax error, an unreadable file). Loading stops at the first error.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is; the whole file when there is no better place.
    public let location: SourceLocation
    /// The dotted path to the offending value, e.g. `providers[0].plugin`; empty when none applies.
    public let keyPath: String
    /// What is wrong, in one sentence without a trailing period.
    public let message: String

    public init(_ message: String, at location: SourceLocation, keyPath: String = "") {
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        keyPath.isEmpty ? "\(location): \(message)" : "\(location): \(keyPath): \(message)"
    }
}
