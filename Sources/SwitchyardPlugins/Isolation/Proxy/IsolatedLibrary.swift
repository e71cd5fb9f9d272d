import CSwitchyardPlugin
import SwitchyardJSON

/// Loading an entry with `isolation: process`: the library is opened and negotiated in a runner
/// process, and the gateway gets a `PluginLibrary` whose table is the proxy's
/// (`ProxyTables.plugin`), checked exactly like an in-process plugin's. Each isolated entry has
/// its own runner (libraries are not shared between entries, unlike in-process loads).
extension PluginLibrary {
    public static func loadIsolated(path: String, sha256: String? = nil, entry: String, limits: IsolatedRunner.Limits) throws(PluginLoadError) -> PluginLibrary {
        let file = try PluginFile(path: path, entry: entry)
        if let sha256 { try file.verify(sha256: sha256) }
        func failure(_ kind: PluginLoadError.Kind, _ message: String) -> PluginLoadError {
            PluginLoadError(kind, entry: entry, path: file.path, message)
        }
        let runner = IsolatedRunner(entry: entry, path: file.path, limits: limits)
        let hello: WireHello
        switch runner.start() {
        case .failure(let problem): throw failure(.notASharedObject, "isolated runner: \(problem.message)")
        case .success(let greeting): hello = greeting
        }
        do throws(PluginLoadError) {
            if hello.status != SY_OK, hello.message.isEmpty {
                // The runner passes on what sy_plugin_entry answered (major in `flags`, required
                // minor in `pluginMinor`); the messages are the in-process loader's.
                try PluginNegotiation.checkEntry(status: hello.status, abiMajor: hello.flags, requiredMinor: hello.pluginMinor,
                                                 minor: hello.negotiatedMinor, failure)
            }
            guard hello.status == SY_OK else { throw failure(.notASharedObject, hello.message) }
            try PluginNegotiation.checkEntry(status: SY_OK, abiMajor: SY_ABI_MAJOR, requiredMinor: 0, minor: hello.negotiatedMinor, failure)
            let proxy = ProxyTables.plugin(hello: hello, manifest: hello.manifest)
            let negotiation = try PluginNegotiation(api: proxy, negotiatedMinor: hello.negotiatedMinor, file: file)
            if sha256 != nil { try file.verifyUnchanged() }
            // Proxied provider hooks wait on a socket: the host runs them on its worker pool.
            // Files and batches go through passthrough and the inline batch table, which are
            // not proxied: an isolated provider does not offer them.
            var manifest = negotiation.manifest
            if case .object(var object) = manifest, let operations = object["operations"]?.arrayValue {
                object["operations"] = .array(operations.filter { $0.stringValue != "files" && $0.stringValue != "batches" })
                manifest = .object(object)
            }
            return PluginLibrary(path: file.path, negotiation: negotiation, isolation: runner,
                                 blockingHooks: [.prepare, .generate, .response], manifest: manifest)
        } catch {
            runner.stop()
            throw error
        }
    }

    /// instance_new in the runner; the instance handed to the host is the runner itself, whose
    /// proxy tables now mirror the instance's interfaces.
    func instantiateIsolated(_ runner: IsolatedRunner, name: String, configJSON: [UInt8]) throws(PluginLoadError) -> PluginInstance {
        let host = HostInstance(name: name, pluginID: id)
        switch runner.instantiate(host: host, config: configJSON) {
        case .failure(let failure):
            runner.stop()
            if failure.status == SY_E_CONFIG {
                throw PluginLoadError(.configRejected, entry: name, path: path, "plugin rejected its config: \(failure.message)")
            }
            throw PluginLoadError(.instanceFailed, entry: name, path: path, "instance_new failed with \(PluginStatus.name(failure.status)): \(failure.message)")
        case .success(let interfaces):
            if interfaces.providerHooks != 0 { runner.providerTable = ProxyTables.provider(hooks: interfaces.providerHooks) }
            if interfaces.guardrailPhases != 0 {
                runner.guardrailTable = ProxyTables.guardrail(phases: interfaces.guardrailPhases, callEnd: interfaces.guardrailCallEnd)
            }
            return PluginInstance(library: self, host: host, instance: UnsafeMutableRawPointer(Unmanaged.passUnretained(runner).toOpaque()))
        }
    }
}
