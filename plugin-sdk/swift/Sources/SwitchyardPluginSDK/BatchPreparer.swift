import CSwitchyardPlugin

/// A batch preparer (`switchyard.batch/1`), one object per YAML plugin entry: it sees every line
/// of a native batch's input file before the batch goes to its provider. For each batch the host
/// calls `begin`; the returned preparation sees the lines one by one.
///
/// Threading: `begin` runs on the event loop of the batch's request, concurrently for different
/// batches: keep the preparer immutable after init. No hook may block.
public protocol BatchPreparer: AnyObject, Sendable {
    /// Parses the entry's `config` once. Throw `PluginError.config` to reject it.
    init(config: JSONValue, host: PluginHost) throws(PluginError)

    /// One batch begins: `info.request` is the client's batch request
    /// (`{"input_file_id","endpoint","completion_window","metadata"}`), borrowed for this hook;
    /// `call.metadata()["provider"]` names the provider that holds the file and runs the batch.
    /// A thrown error refuses the batch.
    func begin(_ call: PluginCall, info: CallInfo) throws(PluginError) -> any BatchPreparation
}

/// One batch's lines through one preparer. The host calls `line` for each non-blank line in
/// order, then `end` (not when the batch was cut short). Calls never overlap; they run on the
/// batch request's event loop. The object is released after the last call (the SDK retains it
/// from `begin` until the host's `state_free`).
public protocol BatchPreparation: AnyObject {
    /// One JSONL line (no newline, never empty), borrowed for the call; `number` counts from 1.
    /// Return nil to let the line go on unchanged (nothing is copied), or one JSON object that
    /// replaces it. Throw (e.g. `PluginError.invalid`) to refuse the line, and the batch: the
    /// client's error names the line and carries the message.
    func line(_ number: UInt64, _ line: UnsafeRawBufferPointer) throws(PluginError) -> [UInt8]?

    /// Every line was seen. Throw to refuse the batch.
    func end() throws(PluginError)
}

extension BatchPreparation {
    public func end() throws(PluginError) {}
}

/// How the gateway routes a model now (`PluginCall.route`).
public struct ModelRoute: Sendable, Equatable {
    /// The model's name after aliases.
    public let model: String
    /// Every provider that serves it, in routing order, with the model name it receives.
    public let targets: [Target]

    public struct Target: Sendable, Equatable {
        public let provider: String
        public let upstreamModel: String
    }

    init?(_ json: JSONValue) {
        guard let model = json["model"]?.stringValue, let targets = json["targets"]?.arrayValue else { return nil }
        self.model = model
        self.targets = targets.compactMap { target in
            guard let provider = target["provider"]?.stringValue, let upstream = target["upstream_model"]?.stringValue else { return nil }
            return Target(provider: provider, upstreamModel: upstream)
        }
    }
}

extension PluginCall {
    /// `call_route`: how the gateway routes `model` (a name or an alias) now; nil when no route
    /// serves it (or the call has ended). Call it on the hook's thread.
    public func route(model: String) -> ModelRoute? {
        guard SY_HAS_call_route(host.api) else { return nil }
        let bytes = with(model) { host.api.pointee.call_route(handle, $0) }
        guard bytes.len > 0, let json = try? JSONValue.parse(bytes.buffer) else { return nil }
        return ModelRoute(json)
    }
}

/// `SY_HAS(sy_host_api, host, call_route)`: the function-like macro does not import into Swift.
@inline(__always)
func SY_HAS_call_route(_ api: UnsafePointer<sy_host_api>) -> Bool {
    Int(api.pointee.struct_size) >= MemoryLayout<sy_host_api>.offset(of: \.call_route)! + MemoryLayout<UnsafeRawPointer>.size
        && api.pointee.call_route != nil
}

extension PluginDefinition {
    public static func batchPreparer<B: BatchPreparer>(_ type: B.Type, id: String, version: String, manifest: String) -> PluginDefinition {
        PluginDefinition(
            id: id, version: version, manifest: manifest,
            make: { config, host throws(PluginError) in BatchPreparerBox(try B(config: config, host: host), host: host) },
            answersLocally: false, guardrailPhases: 0
        )
    }
}
