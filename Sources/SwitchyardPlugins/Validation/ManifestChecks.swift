import CSwitchyardPlugin
import SwitchyardJSON

/// manifest.*: the host's own loader accepts the plugin (manifest a JSON object with `kinds` and
/// `interfaces` arrays, a `config_schema` the host can check, valid `blocking_hooks`), every
/// interface it declares is there with a table the host's wrapper can use, and an unknown one is not.
enum ManifestChecks {
    static let all = [
        ValidationCheck("manifest.host-loads") { context in
            switch context.library {
            case .success: .passed
            case .failure(let error): .failed(error.message)
            }
        },
        ValidationCheck("manifest.interfaces") { context in
            with(context.requireInstance()) { instance in
                let library = instance.library
                guard !library.interfaces.isEmpty else { return .failed("the manifest declares no interface") }
                for interface in library.interfaces {
                    guard let table = instance.interface(interface) else {
                        return .failed("the manifest declares \(interface) but get_interface returns NULL for it")
                    }
                    let usable: Bool? = switch interface {
                    case SY_IFACE_PROVIDER: ProviderPlugin(name: "v", instance: instance.pluginInstance, table: table) != nil
                    case SY_IFACE_GUARDRAIL: GuardrailPlugin(name: "v", instance: instance.pluginInstance, table: table) != nil
                    case SY_IFACE_ENRICHER: EnricherPlugin(name: "v", instance: instance.pluginInstance, table: table) != nil
                    case SY_IFACE_BATCH: BatchPreparerPlugin(name: "v", instance: instance.pluginInstance, table: table) != nil
                    default: nil
                    }
                    if usable == false { return .failed("the \(interface) table is unusable (too small, or a required hook is NULL)") }
                    if usable == nil { context.warn("\(interface) is not an interface this host knows; not exercised") }
                }
                return .passed
            }
        },
        ValidationCheck("manifest.unknown-interface") { context in
            with(context.requireInstance()) { instance in
                instance.interface("dev.switchyard.validator.nonexistent/1") == nil
                    ? .passed : .failed("get_interface returned a table for an interface id it does not know")
            }
        },
    ]
}
