import CSwitchyardPlugin
#if canImport(Glibc)
import Glibc
#endif

/// What a Swift plugin library exports: its identity and how to make an instance.
public struct PluginDefinition: Sendable {
    public let id: String
    public let version: String
    /// `{"kinds":[...],"interfaces":[...],"config_schema":{...}}`
    public let manifest: String
    /// SY_PHASE_* bits of an enricher (the bodies it reads); 0 for other kinds.
    var enricherPhases: UInt32 = 0
    let make: @Sendable (JSONValue, PluginHost) throws(PluginError) -> InstanceBox
    let answersLocally: Bool
    /// SY_PHASE_* bits of a guardrail; 0 for other kinds.
    let guardrailPhases: UInt32
    /// A provider that conforms to `PassthroughProvider` (its table gets the `passthrough` hook).
    var takesPassthrough = false
    /// A provider that conforms to `InlineBatchProvider` (its table gets `batch`).
    var inlineBatches = false

    public static func provider<P: Provider>(_ type: P.Type, id: String, version: String, manifest: String) -> PluginDefinition {
        PluginDefinition(
            id: id, version: version, manifest: manifest,
            make: { config, host throws(PluginError) in ProviderBox(try P(config: config, host: host), host: host) },
            answersLocally: P.self is any LocalProvider.Type, guardrailPhases: 0,
            takesPassthrough: P.self is any PassthroughProvider.Type,
            inlineBatches: P.self is any InlineBatchProvider.Type
        )
    }

    public static func guardrail<G: Guardrail>(_ type: G.Type, id: String, version: String, manifest: String) -> PluginDefinition {
        PluginDefinition(
            id: id, version: version, manifest: manifest,
            make: { config, host throws(PluginError) in GuardrailBox(try G(config: config, host: host), host: host) },
            answersLocally: false, guardrailPhases: G.phases.rawValue
        )
    }
}

/// The C side of a Swift plugin. A plugin's only export is:
///
///     @_cdecl("sy_plugin_entry")
///     public func entry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?) -> sy_status {
///         PluginExport.entry(negotiate, definition)
///     }
///
/// Every library links its own copy of this SDK (symbols stay local under RTLD_LOCAL and the
/// version script), so the globals below are per plugin library.
public enum PluginExport {
    public static func entry(_ negotiate: UnsafeMutablePointer<sy_negotiate>?, _ definition: PluginDefinition) -> sy_status {
        guard let negotiate else { return SY_E_INVALID }
        // The block's size first: nothing past the host's struct_size is read or written (a
        // short block is another ABI's; its fields past the end are not the host's memory).
        let blockSize = Int(UnsafeRawPointer(negotiate).load(as: UInt32.self))
        guard blockSize >= MemoryLayout<sy_negotiate>.size else {
            if blockSize >= MemoryLayout<sy_negotiate>.offset(of: \.abi_minor)! { negotiate.pointee.abi_major = SY_ABI_MAJOR }
            return SY_E_ABI
        }
        guard negotiate.pointee.abi_major == SY_ABI_MAJOR else {
            negotiate.pointee.abi_major = SY_ABI_MAJOR
            negotiate.pointee.required_minor = 0  // any host of this major: 1.1 functions are used behind SY_HAS
            return SY_E_ABI
        }
        guard let host = negotiate.pointee.host else { return SY_E_INVALID }
        // Every 1.0 function is called without a check, so the host's table must hold them all.
        guard Int(host.pointee.struct_size) >= hostTableSizeOfABI1_0 else { return SY_E_ABI }
        negotiate.pointee.abi_minor = min(negotiate.pointee.abi_minor, SY_ABI_MINOR)
        negotiate.pointee.plugin = UnsafePointer(ExportedTables.install(definition: definition, host: host))
        return SY_OK
    }
}

/// sizeof(sy_host_api) in ABI 1.0: the table ends with `call_route`. Functions after it (1.1 on)
/// are called only behind a SY_HAS check.
let hostTableSizeOfABI1_0 = MemoryLayout<sy_host_api>.offset(of: \.call_route)! + MemoryLayout<UnsafeRawPointer>.size

/// The static tables handed to the host; built once, never freed (the host never dlcloses).
enum ExportedTables {
    nonisolated(unsafe) static var definition: PluginDefinition?
    nonisolated(unsafe) static var host: UnsafePointer<sy_host_api>?
    nonisolated(unsafe) static var pluginAPI: UnsafeMutablePointer<sy_plugin_api>?
    nonisolated(unsafe) static var lock = pthread_mutex_t()
    static let lockReady: Bool = { pthread_mutex_init(&lock, nil); return true }()

    static func install(definition: PluginDefinition, host: UnsafePointer<sy_host_api>) -> UnsafeMutablePointer<sy_plugin_api> {
        _ = lockReady
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let pluginAPI { return pluginAPI }
        self.definition = definition
        self.host = host
        let api = UnsafeMutablePointer<sy_plugin_api>.allocate(capacity: 1)
        api.initialize(to: sy_plugin_api(
            struct_size: UInt32(MemoryLayout<sy_plugin_api>.size),
            abi_minor: SY_ABI_MINOR,
            id: UnsafePointer(strdup(definition.id)),
            version: UnsafePointer(strdup(definition.version)),
            manifest_json: UnsafePointer(strdup(definition.manifest)),
            flags: 0,
            reserved: 0,
            instance_new: instanceNew,
            instance_free: instanceFree,
            get_interface: getInterface
        ))
        pluginAPI = api
        return api
    }

    nonisolated(unsafe) static let providerTable: UnsafeMutablePointer<sy_provider_v1> = {
        let table = UnsafeMutablePointer<sy_provider_v1>.allocate(capacity: 1)
        table.initialize(to: sy_provider_v1(
            struct_size: UInt32(MemoryLayout<sy_provider_v1>.size),
            prepare: providerPrepare,
            response: UnsafePointer(transformerTable),
            generate: definition?.answersLocally == true ? providerGenerate : nil,
            passthrough: definition?.takesPassthrough == true ? providerPassthrough : nil,
            batch: definition?.inlineBatches == true ? UnsafePointer(inlineBatchTable) : nil
        ))
        return table
    }()

    nonisolated(unsafe) static let inlineBatchTable: UnsafeMutablePointer<sy_provider_batch_v1> = {
        let table = UnsafeMutablePointer<sy_provider_batch_v1>.allocate(capacity: 1)
        table.initialize(to: sy_provider_batch_v1(
            struct_size: UInt32(MemoryLayout<sy_provider_batch_v1>.size),
            request: batchRequest,
            create_part: batchCreatePart,
            status: batchStatus,
            result: batchResult
        ))
        return table
    }()

    nonisolated(unsafe) static let guardrailTable: UnsafeMutablePointer<sy_guardrail_v1> = {
        let table = UnsafeMutablePointer<sy_guardrail_v1>.allocate(capacity: 1)
        table.initialize(to: sy_guardrail_v1(
            struct_size: UInt32(MemoryLayout<sy_guardrail_v1>.size),
            phases: definition?.guardrailPhases ?? 0,
            inspect: guardrailInspect,
            call_end: guardrailCallEnd
        ))
        return table
    }()

    nonisolated(unsafe) static let transformerTable: UnsafeMutablePointer<sy_transformer_v1> = {
        let table = UnsafeMutablePointer<sy_transformer_v1>.allocate(capacity: 1)
        table.initialize(to: sy_transformer_v1(
            struct_size: UInt32(MemoryLayout<sy_transformer_v1>.size),
            begin: transformerBegin,
            data: transformerData,
            end: transformerEnd,
            state_free: transformerFree
        ))
        return table
    }()
}

/// One instance: the host services (with the instance's `sy_hinst`, which every sink, builder
/// and verdict call passes back) and, in a subclass, the plugin object of the library's kind.
/// The hooks of a kind know their box's class, so they reach the object without a cast.
class InstanceBox {
    let host: PluginHost
    init(host: PluginHost) { self.host = host }
}

final class ProviderBox: InstanceBox {
    let provider: any Provider
    init(_ provider: any Provider, host: PluginHost) {
        self.provider = provider
        super.init(host: host)
    }
}

final class GuardrailBox: InstanceBox {
    let guardrail: any Guardrail
    init(_ guardrail: any Guardrail, host: PluginHost) {
        self.guardrail = guardrail
        super.init(host: host)
    }
}

final class TransformerBox {
    let transformer: any ResponseTransformer
    let host: PluginHost
    init(_ transformer: any ResponseTransformer, host: PluginHost) {
        self.transformer = transformer
        self.host = host
    }
}

@inline(__always)
func providerBox(_ instance: sy_instance?) -> ProviderBox {
    Unmanaged<ProviderBox>.fromOpaque(instance!).takeUnretainedValue()
}

@inline(__always)
func guardrailBox(_ instance: sy_instance?) -> GuardrailBox {
    Unmanaged<GuardrailBox>.fromOpaque(instance!).takeUnretainedValue()
}

private let instanceNew: @convention(c) (sy_hinst?, sy_bytes, UnsafeMutablePointer<sy_instance?>?, UnsafeMutablePointer<sy_error>?) -> sy_status = {
    hinst, configBytes, out, errorOut in
    guard let out, let definition = ExportedTables.definition, let api = ExportedTables.host else { return SY_E_INVALID }
    do throws(PluginError) {
        let config: JSONValue
        do {
            config = configBytes.len == 0 ? .object(JSONObject()) : try JSONValue.parse(configBytes.buffer)
        } catch {
            throw PluginError.config("config is not valid JSON: \(error)")
        }
        let host = PluginHost(api: api, instance: hinst)
        out.pointee = Unmanaged.passRetained(try definition.make(config, host)).toOpaque()
        return SY_OK
    } catch {
        return error.fill(errorOut)
    }
}

private let instanceFree: @convention(c) (sy_instance?) -> Void = { instance in
    guard let instance else { return }
    Unmanaged<InstanceBox>.fromOpaque(instance).release()
}

private let getInterface: @convention(c) (sy_instance?, UnsafePointer<CChar>?) -> UnsafeRawPointer? = { instance, id in
    guard let id, let instance else { return nil }
    let box = Unmanaged<InstanceBox>.fromOpaque(instance).takeUnretainedValue()
    if box is ProviderBox, strcmp(id, SY_IFACE_PROVIDER) == 0 { return UnsafeRawPointer(ExportedTables.providerTable) }
    if box is GuardrailBox, strcmp(id, SY_IFACE_GUARDRAIL) == 0 { return UnsafeRawPointer(ExportedTables.guardrailTable) }
    if box is EnricherBox, strcmp(id, SY_IFACE_ENRICHER) == 0 { return UnsafeRawPointer(ExportedTables.enricherTable) }
    if box is BatchPreparerBox, strcmp(id, SY_IFACE_BATCH) == 0 { return UnsafeRawPointer(ExportedTables.batchTable) }
    return nil
}
