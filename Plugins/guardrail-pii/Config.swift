import SwitchyardPluginSDK

/// An instance's config (README.md), parsed and compiled once in `instance_new`; immutable
/// afterwards and shared by every call.
struct PIIConfig: Sendable {
    enum Action: String, Sendable {
        case redact, reject
    }

    let action: Action
    /// Built-in detectors that are on, then the custom ones, in reporting order.
    let detectors: [Detector]
    /// Chunk phase: hold a trailing word that might still become an email's local part.
    let holdWords: Bool

    static let defaultPlaceholder = "[REDACTED:{type}]"
    static let keys = ["action", "placeholder", "detectors", "custom", "stream_hold_words"]

    init(_ config: JSONValue) throws(PluginError) {
        guard let object = config.objectValue else { throw .config("config must be an object") }
        for key in object.keys where !Self.keys.contains(key) {
            throw .config("unknown config key \"\(key)\" (known: \(Self.keys.joined(separator: ", ")))")
        }
        switch object["action"] {
        case nil: action = .redact
        case .string(let name)?:
            guard let parsed = Action(rawValue: name) else { throw .config("action must be \"redact\" or \"reject\", not \"\(name)\"") }
            action = parsed
        default: throw .config("action must be a string: \"redact\" or \"reject\"")
        }
        let placeholder: String
        switch object["placeholder"] {
        case nil: placeholder = Self.defaultPlaceholder
        case .string(let text)?: placeholder = text
        default: throw .config("placeholder must be a string, e.g. \"\(Self.defaultPlaceholder)\"")
        }
        switch object["stream_hold_words"] {
        case nil: holdWords = true  // safe by default: an email split at its `@` is still caught
        case .bool(let flag)?: holdWords = flag
        default: throw .config("stream_hold_words must be a boolean")
        }
        let enabled = try Self.enabledBuiltIns(object["detectors"])
        var detectors: [Detector] = []
        for definition in BuiltInDetectors.all where enabled.contains(definition.name) {
            detectors.append(try Self.builtIn(definition, placeholder: placeholder, holdWords: holdWords))
        }
        for custom in try CustomPattern.parseAll(object["custom"]) {
            detectors.append(try custom.compile(placeholder: placeholder))
        }
        guard !detectors.isEmpty else { throw .config("no detector is enabled (detectors and custom are both empty)") }
        self.detectors = detectors
    }

    /// `detectors`: absent = every built-in; an object of booleans = every built-in but those set
    /// to false (a name left out stays on); a list = exactly the names listed.
    static func enabledBuiltIns(_ value: JSONValue?) throws(PluginError) -> Set<String> {
        let known = BuiltInDetectors.names
        func check(_ name: String) throws(PluginError) {
            guard known.contains(name) else {
                throw .config("unknown detector \"\(name)\" (built-in detectors: \(known.joined(separator: ", ")); custom ones go under \"custom\")")
            }
        }
        switch value {
        case nil:
            return Set(known)
        case .object(let switches)?:
            var enabled = Set(known)
            for (name, flag) in switches {
                try check(name)
                guard let on = flag.boolValue else { throw .config("detectors.\(name) must be true or false") }
                if !on { enabled.remove(name) }
            }
            return enabled
        case .array(let names)?:
            var enabled: Set<String> = []
            for item in names {
                guard let name = item.stringValue else { throw .config("detectors must list detector names as strings") }
                try check(name)
                enabled.insert(name)
            }
            return enabled
        default:
            throw .config("detectors must be an object of booleans ({\"phone\": false}) or a list of names")
        }
    }

    static func builtIn(_ definition: BuiltInDetectors.Definition, placeholder: String, holdWords: Bool) throws(PluginError) -> Detector {
        let pattern: Pattern
        do {
            pattern = try Pattern(definition.pattern, utf: false)
        } catch {
            throw PluginError(SY_E_INTERNAL, "built-in pattern \(definition.name) does not compile: \(error.message) at offset \(error.offset)")
        }
        return Detector(
            name: definition.name, pattern: pattern, validation: definition.validation,
            holdsOnceItContains: holdWords ? nil : definition.holdsOnceItContains, prefilter: definition.prefilter,
            placeholder: Self.placeholder(placeholder, for: definition.name), heldContext: 0)
    }

    static func placeholder(_ template: String, for name: String) -> [UInt8] {
        Array(template.replacing("{type}", with: name).utf8)
    }
}
