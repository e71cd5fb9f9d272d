/// Where each value of a plugin entry's `config:` is written, by JSON Pointer into the JSON the
/// plugin receives (`""` is the whole config, `/headers/X-Team`, `/beta/0`): an error the host
/// finds in that JSON, such as a value its manifest's `config_schema` refuses, is reported at
/// the YAML key or value that caused it, with the file's line and column.
public struct PluginConfigLocations: Sendable, Hashable {
    public struct Place: Sendable, Hashable {
        /// The config key path, e.g. `plugins[1].config.headers.X-Team`.
        public var keyPath: String
        /// Where the value starts.
        public var value: SourceLocation
        /// Where the member's key is, for a member of a mapping.
        public var key: SourceLocation?

        public init(keyPath: String, value: SourceLocation, key: SourceLocation? = nil) {
            self.keyPath = keyPath
            self.value = value
            self.key = key
        }
    }

    public private(set) var places: [String: Place]

    /// Only the whole config's place known (what a hand-made `PluginEntry` has).
    public init(root: Place) {
        places = ["": root]
    }

    init(places: [String: Place]) {
        self.places = places
    }

    public subscript(pointer: String) -> Place? { places[pointer] }

    /// An error about the value at `pointer` (or its key when `atKey`: an unknown key), placed
    /// at the nearest enclosing value whose place is known.
    public func error(_ message: String, at pointer: String, atKey: Bool) -> ConfigError {
        var pointer = pointer
        var exact = true
        while places[pointer] == nil, let slash = pointer.lastIndex(of: "/") {
            pointer = String(pointer[..<slash])
            exact = false
        }
        guard let place = places[pointer] ?? places[""] else { return ConfigError(message, at: .wholeFile("")) }
        let location = exact && atKey ? place.key ?? place.value : place.value
        return ConfigError(message, at: location, keyPath: place.keyPath)
    }
}
