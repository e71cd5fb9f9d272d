import CSwitchyardPlugin
import SwitchyardConfig
import SwitchyardPlugins

/// Every plugin entry of a config loaded (dlopen, negotiation, one instance per entry with its
/// config) and every provider bound to its plugin's provider interface. Fails on the first
/// problem, naming the config entry, so an operator sees exactly what to fix.
public struct LoadedPlugins: @unchecked Sendable {
    public let instances: [String: PluginInstance]
    public let providers: [String: ProviderPlugin]
    /// Operations each provider declares in its plugin's manifest (`"operations"`), by provider name.
    public let providerOperations: [String: Set<String>]

    public init(config: GatewayConfig) throws(GatewayStartupError) {
        var instances: [String: PluginInstance] = [:]
        for entry in config.plugins {
            do {
                let library = try PluginLibrary.load(path: entry.path, sha256: entry.sha256, entry: entry.name)
                instances[entry.name] = try library.instantiate(name: entry.name, configJSON: entry.configJSON)
            } catch {
                throw GatewayStartupError("\(entry.location): \(error)")
            }
        }
        var providers: [String: ProviderPlugin] = [:]
        var operations: [String: Set<String>] = [:]
        for entry in config.providers {
            guard let instance = instances[entry.plugin] else {
                throw GatewayStartupError("\(entry.location): providers[\(entry.name)]: plugin \"\(entry.plugin)\" is not loaded")
            }
            guard let table = instance.interface(SY_IFACE_PROVIDER),
                  let provider = ProviderPlugin(name: entry.plugin, instance: instance.pluginInstance, table: table)
            else {
                throw GatewayStartupError("\(entry.location): providers[\(entry.name)]: plugin \"\(entry.plugin)\" does not implement \(SY_IFACE_PROVIDER)")
            }
            providers[entry.name] = provider
            let declared = instance.library.manifest["operations"]?.arrayValue?.compactMap(\.stringValue) ?? ["chat_completions"]
            operations[entry.name] = Set(declared)
        }
        self.instances = instances
        self.providers = providers
        self.providerOperations = operations
    }
}

/// Why the gateway could not start, with the config location when there is one.
public struct GatewayStartupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
