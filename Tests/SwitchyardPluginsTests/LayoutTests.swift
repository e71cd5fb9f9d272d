import CSwitchyardPlugin
import Testing

/// The Swift view of the ABI structs must match the C layout pinned in plugin-sdk/abi.
@Suite struct LayoutTests {
    @Test func sizesMatchTheHeaderPins() {
        #expect(MemoryLayout<sy_bytes>.size == 16)
        #expect(MemoryLayout<sy_header>.size == 32)
        #expect(MemoryLayout<sy_error>.size == 16 + Int(SY_ERROR_MESSAGE_CAPACITY))
        #expect(MemoryLayout<sy_negotiate>.size == 32)
        #expect(MemoryLayout<sy_negotiate>.offset(of: \sy_negotiate.host) == 16)
        #expect(MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.instance_new) == 40)
        #expect(MemoryLayout<sy_plugin_api>.size == 64)
    }
}
