import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPosix

/// What every check of one validating child shares: the plugin's path, the config to create
/// instances with, the seed, the fixtures; the library and one instance, loaded when a check
/// first needs them (a check that crashes the child takes them with it: the next child loads
/// them again). Warnings a check adds go to the report beside its result.
///
/// Threading: the child's main thread. The concurrency check lends the instance to its threads
/// for the duration of the check only.
public final class ValidationContext {
    public let path: String
    public let configJSON: [UInt8]
    public let seed: UInt64
    public let fixtures: [UpstreamFixture]
    /// Bounds one hook call where a check waits for something (a paused verdict).
    public let hookTimeoutSeconds: Double
    var warnings: [String] = []
    private var loaded: Result<PluginLibrary, PluginLoadError>?
    private var created: Result<PluginInstance, PluginLoadError>?
    /// The provider harness, made once (its table copy lives for the process).
    var provider: Result<ProviderHarness, ValidationSkip>?
    private var parsedSymbols: Result<ELFSymbols, ELFSymbols.Problem>?

    /// The file's dynamic symbols, read once (the exports checks share them).
    var symbols: Result<ELFSymbols, ELFSymbols.Problem> {
        if let parsedSymbols { return parsedSymbols }
        let result = Result { () throws(ELFSymbols.Problem) in try ELFSymbols(path: path) }
        parsedSymbols = result
        return result
    }

    public init(path: String, configJSON: [UInt8], seed: UInt64, fixtures: [UpstreamFixture], hookTimeoutSeconds: Double) {
        self.path = path
        self.configJSON = configJSON
        self.seed = seed
        self.fixtures = fixtures
        self.hookTimeoutSeconds = hookTimeoutSeconds
    }

    func warn(_ message: String) {
        if !warnings.contains(message) { warnings.append(message) }
    }

    /// The library, loaded and negotiated by the host's own loader.
    var library: Result<PluginLibrary, PluginLoadError> {
        if let loaded { return loaded }
        let result = Result { () throws(PluginLoadError) in try PluginLibrary.load(path: path) }
        loaded = result
        return result
    }

    /// The instance made with the good config (`--config`), after the host's schema check.
    var instance: Result<PluginInstance, PluginLoadError> {
        if let created { return created }
        let result: Result<PluginInstance, PluginLoadError> = library.flatMap { library in
            if let schema = library.configSchema, let config = try? JSONValue.parse(configJSON), let violation = schema.violation(in: config) {
                return .failure(PluginLoadError(.configRejected, path: path, "the config does not match the plugin's config_schema: \(violation)"))
            }
            return Result { () throws(PluginLoadError) in try library.instantiate(name: library.id, configJSON: configJSON) }
        }
        created = result
        return result
    }

    /// The loaded library, or the skip that says why there is none.
    func requireLibrary() -> Result<PluginLibrary, ValidationSkip> {
        library.mapError { _ in ValidationSkip("the plugin does not load (see manifest.host-loads)") }
    }

    /// The instance, or the skip that says why there is none.
    func requireInstance() -> Result<PluginInstance, ValidationSkip> {
        instance.mapError { ValidationSkip("no instance with the given config (\($0.message))") }
    }

    /// The instance's table for `interface`, or a skip naming what the plugin is not.
    func requireInterface(_ interface: String, kind: String, article: String = "a") -> Result<(PluginInstance, UnsafeRawPointer), ValidationSkip> {
        if case .success(let library) = library, !library.interfaces.contains(interface) {
            return .failure(ValidationSkip("not \(article) \(kind)"))
        }
        return requireInstance().flatMap { instance in
            guard let table = instance.interface(interface) else { return .failure(ValidationSkip("not \(article) \(kind)")) }
            return .success((instance, table))
        }
    }
}

/// Why a check did not run (it is reported as `skip`).
struct ValidationSkip: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// The `sy_call` facts of the validator's calls: one request id per call, the validator as the
/// provider, and a router that sends every model to it (so `call_route` has an answer).
final class ValidationCallSource: PluginCallSource {
    let callRequestID: String
    let endpoint: String
    let stream: Bool

    init(requestID: String, endpoint: String = "chat_completions", stream: Bool = false) {
        callRequestID = requestID
        self.endpoint = endpoint
        self.stream = stream
    }

    func callFacts(attempt: Int) -> PluginCallFacts {
        PluginCallFacts(requestID: callRequestID, endpoint: endpoint, mode: "translated", model: RequestFixtures.model,
                        requestedModel: RequestFixtures.model, provider: "validator", stream: stream)
    }

    var callRouter: (any PluginCallRouter)? { ValidationRouter() }

    /// What `call_deadline_ns` gives the validator's hooks, from the call's start: a deadline
    /// as the gateway sets one (a plugin that reads it must see a real one, not 0).
    static let hookDeadlineSeconds: UInt64 = 30

    /// Runs `body` with an open call whose handle resolves, and ends it after.
    static func withCall<R>(_ id: String, endpoint: String = "chat_completions", stream: Bool = false, _ body: (PluginCall) -> R) -> R {
        let source = ValidationCallSource(requestID: id, endpoint: endpoint, stream: stream)
        let call = PluginCall(source: source)
        call.loopHookStarts(deadline: monotonicNanoseconds() &+ hookDeadlineSeconds * 1_000_000_000)
        defer { call.end() }
        return withExtendedLifetime(source) { body(call) }
    }
}

struct ValidationRouter: PluginCallRouter {
    func routeJSON(for model: String) -> [UInt8] {
        var json = JSONWriter(capacity: 96)
        json.raw(#"{"model":"#)
        json.string(model)
        json.raw(#","targets":[{"provider":"validator","upstream_model":"#)
        json.string(model)
        json.raw("}]}")
        return json.bytes
    }
}
