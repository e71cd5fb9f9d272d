import CSwitchyardPlugin
import SwitchyardJSON
import SwitchyardPlugins

/// The usage a provider plugin reports for the same upstream bytes, for checking that an
/// enricher meters passthrough traffic exactly as the provider meters translated traffic: the
/// provider's response transformer (loaded with dlopen like the enricher) is fed `body` and its
/// last `SY_OUT_META_JSON` usage is returned.
struct ProviderUsage {
    let provider: ProviderPlugin
    let instance: PluginInstance

    init(product: String, config: JSONValue) throws {
        let library = try PluginLibrary.load(path: EnricherHarness.buildDirectory + "/lib\(product).so")
        instance = try library.instantiate(name: product, configJSON: config.serialized())
        guard let table = instance.interface(SY_IFACE_PROVIDER),
              let provider = ProviderPlugin(name: product, instance: instance.pluginInstance, table: table)
        else { throw HarnessError("\(product) is not a provider") }
        self.provider = provider
    }

    func usage(operation: UInt32, stream: Bool, request: JSONValue, body: [UInt8]) throws -> JSONValue? {
        let call = CallDescription(operation: operation, stream: stream, attempt: 0, requestID: "req-usage", upstreamModel: "model",
                                   request: request.serialized())
        let collected = Collected()
        let transformation = try provider.beginResponse(call, status: 200, headers: []).get()
        _ = body.withUnsafeBytes { transformation.data($0, output: collected) }
        _ = transformation.end(output: collected)
        return collected.usage
    }

    private final class Collected: PluginSinkTarget {
        var usage: JSONValue?
        func pluginWrote(kind: UInt32, bytes: UnsafeRawBufferPointer) -> sy_status {
            if kind == SY_OUT_META_JSON, let usage = (try? JSONValue.parse(Array(bytes)))?["usage"] { self.usage = usage }
            return SY_OK
        }
    }
}
