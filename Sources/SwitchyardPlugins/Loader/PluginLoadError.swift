/// Why a plugin library or instance could not be loaded. Each case names the file; the config
/// layer adds the entry's name and location. Distinct cases, because each has a different fix.
public struct PluginLoadError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case pathNotAbsolute
        case fileMissing
        case notARegularFile
        case checksumMismatch
        case notASharedObject
        case noEntrySymbol
        case abiMajorMismatch
        case abiMinorTooNew
        case entryFailed
        case malformedDescriptor
        case configRejected
        case instanceFailed
    }

    public let kind: Kind
    public let path: String
    public let message: String

    public init(_ kind: Kind, path: String, _ message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
