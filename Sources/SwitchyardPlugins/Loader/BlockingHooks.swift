import SwitchyardJSON

/// The hooks a plugin's manifest declares as possibly blocking (`"blocking_hooks"`): the host
/// runs those on its bounded worker pool instead of the event loop. Every other hook runs on the
/// loop that accepted the request and must return promptly.
///
/// Names are the provider table's: `prepare`, `generate`, and `response` for the whole response
/// transformer (`begin`, `data`, `end`; `state_free` must stay quick, it runs wherever the host
/// releases the state).
public struct BlockingHooks: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let prepare = BlockingHooks(rawValue: 1 << 0)
    public static let generate = BlockingHooks(rawValue: 1 << 1)
    public static let response = BlockingHooks(rawValue: 1 << 2)

    /// Manifest names, in the order the manifest key documents them.
    public static let names: [(name: String, hook: BlockingHooks)] = [("prepare", .prepare), ("generate", .generate), ("response", .response)]

    public static let manifestKey = "blocking_hooks"

    /// The manifest's `blocking_hooks` (absent = none); throws the reason it is unusable.
    init(manifest value: JSONValue?) throws(ManifestProblem) {
        self = []
        guard let value, !value.isNull else { return }
        let known = Self.names.map(\.name).joined(separator: ", ")
        guard let array = value.arrayValue else {
            throw ManifestProblem("manifest_json \"\(Self.manifestKey)\" must be an array of hook names (\(known))")
        }
        for item in array {
            guard let name = item.stringValue else {
                throw ManifestProblem("manifest_json \"\(Self.manifestKey)\" must hold hook names only (\(known))")
            }
            guard let hook = Self.names.first(where: { $0.name == name })?.hook else {
                throw ManifestProblem("manifest_json \"\(Self.manifestKey)\" names an unknown hook \"\(name)\" (known: \(known))")
            }
            insert(hook)
        }
    }

    /// `generate, response`, or `none`.
    public var description: String {
        let list = Self.names.filter { contains($0.hook) }.map(\.name)
        return list.isEmpty ? "none" : list.joined(separator: ", ")
    }

    struct ManifestProblem: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
