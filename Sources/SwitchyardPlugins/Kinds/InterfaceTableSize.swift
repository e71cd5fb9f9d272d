import CSwitchyardPlugin

/// The size check of an interface table a plugin returns from `get_interface`, before any field
/// past `struct_size` is read: a table shorter than ABI 1.0's is refused with a message naming
/// the table and both sizes (the kinds' wrappers only say the interface is unusable).
///
/// A provider table may end early (hooks appended before 1.0 was frozen read as NULL, see
/// ProviderPlugin), but never before `response`: every provider has prepare and response.
public enum InterfaceTableSize {
    /// nil when `table` is large enough for `interface`; otherwise what is wrong.
    public static func problem(_ table: UnsafeRawPointer, interface: String) -> String? {
        let size = Int(table.load(as: UInt32.self))
        let required: (name: String, bytes: Int, what: String)
        switch interface {
        case SY_IFACE_PROVIDER:
            required = ("sy_provider_v1", MemoryLayout<sy_provider_v1>.offset(of: \sy_provider_v1.generate)!, "the smallest a provider table may be (struct_size, prepare, response)")
        // The 1.0 sizes as pinned in plugin-sdk/abi/layout-1.0.txt (a later minor may grow the
        // tables; a 1.0 plugin's stay this size and are still good).
        case SY_IFACE_GUARDRAIL: required = ("sy_guardrail_v1", 24, "the ABI 1.0 sy_guardrail_v1")
        case SY_IFACE_ENRICHER: required = ("sy_enricher_v1", 48, "the ABI 1.0 sy_enricher_v1")
        case SY_IFACE_BATCH: required = ("sy_batch_v1", 40, "the ABI 1.0 sy_batch_v1")
        default: return nil
        }
        guard size < required.bytes else { return nil }
        return "malformed \(interface) table: \(required.name).struct_size is \(size) bytes, smaller than \(required.what) (\(required.bytes) bytes)"
    }
}
