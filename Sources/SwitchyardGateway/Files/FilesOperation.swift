import CSwitchyardPlugin
import SwitchyardCore

/// The operation a files request's plugin call carries: SY_OP_FILES (the provider's
/// passthrough hook addresses it, and enrichers and `call_metadata` can tell it apart).
enum FilesOperation {
    static let abiValue = UInt32(SY_OP_FILES)
    static let endpoint = EndpointOperation.files
}
