import CSwitchyardPlugin
import Foundation
import Testing

/// Swift's view of the ABI structs must match the C layout pinned in plugin-sdk/abi: the host
/// reads plugin tables through these imported types.
@Suite struct LayoutTests {
    /// The pin of the header's minor (SY_ABI_MINOR): the layout the host is compiled with.
    static let currentPin = "\(SY_ABI_MAJOR).\(SY_ABI_MINOR)"

    static let swiftSizes: [String: Int] = [
        "sy_error": MemoryLayout<sy_error>.size, "sy_bytes": MemoryLayout<sy_bytes>.size,
        "sy_header": MemoryLayout<sy_header>.size, "sy_call_info": MemoryLayout<sy_call_info>.size,
        "sy_http_request": MemoryLayout<sy_http_request>.size, "sy_http_handler": MemoryLayout<sy_http_handler>.size,
        "sy_host_api": MemoryLayout<sy_host_api>.size, "sy_transformer_v1": MemoryLayout<sy_transformer_v1>.size,
        "sy_provider_v1": MemoryLayout<sy_provider_v1>.size, "sy_provider_batch_v1": MemoryLayout<sy_provider_batch_v1>.size,
        "sy_guardrail_v1": MemoryLayout<sy_guardrail_v1>.size, "sy_enricher_v1": MemoryLayout<sy_enricher_v1>.size,
        "sy_exchange_head": MemoryLayout<sy_exchange_head>.size,
        "sy_batch_v1": MemoryLayout<sy_batch_v1>.size, "sy_plugin_api": MemoryLayout<sy_plugin_api>.size,
        "sy_negotiate": MemoryLayout<sy_negotiate>.size,
    ]

    @Test func everyStructSizeMatchesTheCommittedPin() throws {
        let pin = Fixtures.repository.appendingPathComponent("plugin-sdk/abi/layout-\(Self.currentPin).txt")
        let lines = try String(contentsOf: pin, encoding: .utf8).split(separator: "\n").filter { $0.contains(" sizeof=") }
        #expect(lines.count == Self.swiftSizes.count)
        for line in lines {
            let parts = line.split(separator: " ")
            let name = String(parts[0]), size = Int(parts[1].dropFirst("sizeof=".count))
            #expect(Self.swiftSizes[name] == size, "\(name)")
        }
    }

    /// Handles are passed by value: their size is pinned exactly (`sy_sink size=8`).
    static let handleSizes: [String: Int] = [
        "sy_sink": MemoryLayout<sy_sink>.size, "sy_http_out": MemoryLayout<sy_http_out>.size,
        "sy_verdict": MemoryLayout<sy_verdict>.size,
    ]

    @Test func everyHandleSizeMatchesTheCommittedPin() throws {
        let pin = Fixtures.repository.appendingPathComponent("plugin-sdk/abi/layout-\(Self.currentPin).txt")
        let lines = try String(contentsOf: pin, encoding: .utf8).split(separator: "\n").filter { !$0.contains(".") && $0.contains(" size=") }
        #expect(lines.count == Self.handleSizes.count)
        for line in lines {
            let parts = line.split(separator: " ")
            #expect(Self.handleSizes[String(parts[0])] == Int(parts[1].dropFirst("size=".count)), "\(parts[0])")
        }
    }

    @Test func offsetsTheLoaderRelyOn() {
        #expect(MemoryLayout<sy_negotiate>.offset(of: \sy_negotiate.host) == 16)
        #expect(MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.instance_new) == 40)
        #expect(MemoryLayout<sy_plugin_api>.offset(of: \sy_plugin_api.get_interface) == 56)
        #expect(MemoryLayout<sy_error>.offset(of: \sy_error.message) == 16)
        #expect(MemoryLayout<sy_host_api>.offset(of: \sy_host_api.get_extension) == 120)
        #expect(MemoryLayout<sy_host_api>.offset(of: \sy_host_api.sink_write) == 128)
        #expect(MemoryLayout<sy_host_api>.offset(of: \sy_host_api.verdict_reject) == 176)
        #expect(MemoryLayout<sy_host_api>.offset(of: \sy_host_api.verdict_hold) == 184)
        #expect(MemoryLayout<sy_host_api>.offset(of: \sy_host_api.call_route) == 192)
        // ABI 1.1: appended after the last 1.0 function, so a 1.0 table (200 bytes) ends before it.
        #expect(MemoryLayout<sy_host_api>.offset(of: \sy_host_api.call_deadline_ns) == 200)
    }
}
