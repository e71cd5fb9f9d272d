import CSwitchyardPlugin
import SwitchyardCore

/// The operation a files request's plugin call carries: the provider's passthrough hook
/// addresses it, so SY_OP_PASSTHROUGH until the ABI gives files an operation of its own.
enum FilesOperation {
    static let abiValue = UInt32(SY_OP_PASSTHROUGH)
    static let endpoint = EndpointOperation.files
}
