import CSwitchyardPlugin
#if canImport(Glibc)
import Glibc
#endif

/// The C tables an isolated plugin presents to the host: the same shapes as any plugin's, whose
/// functions are thunks into its `IsolatedRunner` (reached through the `sy_instance`, which is
/// the runner, or the `sy_state`, a `ProxyState`). The host cannot tell them from a plugin's
/// own, and checks everything they output as it does for any plugin.
///
/// Tables are allocated once per runner and never freed (like `HostInstance`s: one small table
/// per isolated entry per load), because the host keeps pointers to them for the life of the
/// instance and beyond.
enum ProxyTables {
    static func runner(_ instance: sy_instance?) -> IsolatedRunner {
        Unmanaged<IsolatedRunner>.fromOpaque(instance!).takeUnretainedValue()
    }

    static func state(_ state: sy_state?) -> ProxyState {
        Unmanaged<ProxyState>.fromOpaque(state!).takeUnretainedValue()
    }

    /// The descriptor the loader checks like any plugin's (`PluginNegotiation`): the runner's
    /// id, version, manifest and flags. instance_new is never called through it (the loader
    /// creates an isolated instance in the runner).
    static func plugin(hello: WireHello, manifest: String) -> UnsafePointer<sy_plugin_api> {
        let table = UnsafeMutablePointer<sy_plugin_api>.allocate(capacity: 1)
        table.initialize(to: sy_plugin_api(
            struct_size: UInt32(MemoryLayout<sy_plugin_api>.size), abi_minor: hello.pluginMinor,
            id: UnsafePointer(strdup(hello.id)), version: UnsafePointer(strdup(hello.version)), manifest_json: UnsafePointer(strdup(manifest)),
            flags: hello.flags, reserved: 0,
            instance_new: { _, _, _, error in
                IsolatedRunner.fill(error, httpStatus: 0, retryable: false, "an isolated plugin's instance is created in its runner")
                return SY_E_INTERNAL
            },
            instance_free: { instance in
                guard let instance else { return }
                ProxyTables.runner(instance).stop()
            },
            get_interface: { instance, id in
                guard let instance, let id else { return nil }
                let runner = ProxyTables.runner(instance)
                switch String(cString: id) {
                case SY_IFACE_PROVIDER: return runner.providerTable.map { UnsafeRawPointer($0) }
                case SY_IFACE_GUARDRAIL: return runner.guardrailTable.map { UnsafeRawPointer($0) }
                default: return nil  // enrichers and batch preparers do not run isolated
                }
            }))
        return UnsafePointer(table)
    }

    nonisolated(unsafe) static let transformer: UnsafePointer<sy_transformer_v1> = {
        let table = UnsafeMutablePointer<sy_transformer_v1>.allocate(capacity: 1)
        table.initialize(to: sy_transformer_v1(
            struct_size: UInt32(MemoryLayout<sy_transformer_v1>.size),
            begin: { instance, call, info, status, headers, count, state, error in
                ProxyTables.runner(instance).begin(call, info, status, headers, count, state, error)
            },
            data: { state, chunk, sink, error in
                guard let state else { return ProxyTables.missingState(error) }
                let proxy = ProxyTables.state(state)
                return proxy.runner.transform(proxy, chunk, sink, error)
            },
            end: { state, sink, error in
                guard let state else { return ProxyTables.missingState(error) }
                let proxy = ProxyTables.state(state)
                return proxy.runner.transform(proxy, nil, sink, error)
            },
            state_free: { state in
                guard let state else { return }
                let proxy = Unmanaged<ProxyState>.fromOpaque(state).takeRetainedValue()
                proxy.runner.freeState(proxy)
            }))
        return UnsafePointer(table)
    }()

    /// data/end without a state: never from a correct host (begin fails rather than leave one
    /// NULL), refused rather than trapping the gateway.
    static func missingState(_ error: UnsafeMutablePointer<sy_error>?) -> sy_status {
        IsolatedRunner.fill(error, httpStatus: 502, retryable: false, "an isolated transformer was called without its state")
        return SY_E_INVALID
    }

    /// A provider table with exactly the hooks the runner's instance has. `passthrough` and the
    /// inline `batch` table stay NULL: unavailable under isolation (docs/plugin-isolation.md).
    static func provider(hooks: UInt32) -> UnsafeMutablePointer<sy_provider_v1> {
        let table = UnsafeMutablePointer<sy_provider_v1>.allocate(capacity: 1)
        table.initialize(to: sy_provider_v1(
            struct_size: UInt32(MemoryLayout<sy_provider_v1>.size),
            prepare: hooks & WireInterfaces.prepare == 0 ? nil : { instance, call, info, body, out, error in
                ProxyTables.runner(instance).prepare(call, info, body, out, error)
            },
            response: hooks & WireInterfaces.transformer == 0 ? nil : transformer,
            generate: hooks & WireInterfaces.generate == 0 ? nil : { instance, call, info, body, sink, error in
                ProxyTables.runner(instance).generate(call, info, body, sink, error)
            },
            passthrough: nil,
            batch: nil))
        return table
    }

    static func guardrail(phases: UInt32, callEnd: Bool) -> UnsafeMutablePointer<sy_guardrail_v1> {
        let table = UnsafeMutablePointer<sy_guardrail_v1>.allocate(capacity: 1)
        table.initialize(to: sy_guardrail_v1(
            struct_size: UInt32(MemoryLayout<sy_guardrail_v1>.size), phases: phases,
            inspect: { instance, call, info, phase, json, verdict, error in
                ProxyTables.runner(instance).inspect(call, info, phase, json, verdict, error)
            },
            call_end: callEnd ? { instance, call in ProxyTables.runner(instance).callEnd(call) } : nil))
        return table
    }
}
