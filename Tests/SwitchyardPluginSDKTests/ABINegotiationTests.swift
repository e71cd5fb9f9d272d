@testable import SwitchyardPluginSDK
import Testing

/// The SDK's side of ABI 1.1, against host tables built here: it refuses blocks and host tables
/// shorter than 1.0's (SY_E_ABI) before reading past them, and asks for `call_deadline_ns` only
/// when the host's table has it (SY_HAS). Every case here returns before the SDK installs its
/// tables (the first SY_OK in a process installs them for good, and EnricherBarrierTests owns
/// that). Negotiating down, with real plugins under a real 1.0 host (a separate program built
/// against the released 1.0 header), is scripts/check-abi-matrix.sh.
@Suite(.serialized) struct ABINegotiationTests {
    /// A host table of `size` bytes (the rest of the struct zeroed), with a clock and a
    /// call_deadline_ns that answers `answer` for any call.
    static func host(size: Int, minor: UInt32 = SY_ABI_MINOR) -> UnsafeMutablePointer<sy_host_api> {
        let api = UnsafeMutablePointer<sy_host_api>.allocate(capacity: 1)
        api.initialize(to: sy_host_api())
        api.pointee.struct_size = UInt32(size)
        api.pointee.abi_minor = minor
        api.pointee.monotonic_ns = { 1_000_000_000 }
        api.pointee.call_deadline_ns = { call in call == nil ? 0 : 1_250_000_000 }
        return api
    }

    static let definition = PluginDefinition.enricher(
        ABINegotiationEnricher.self, id: "test.abi", version: "0.0.1", manifest: #"{"kinds":["enricher"],"interfaces":["switchyard.enricher/1"]}"#)

    func negotiate(host: UnsafePointer<sy_host_api>, minor: UInt32 = SY_ABI_MINOR, blockSize: Int = MemoryLayout<sy_negotiate>.size,
                   major: UInt32 = SY_ABI_MAJOR) -> (sy_status, sy_negotiate) {
        var block = sy_negotiate(struct_size: UInt32(blockSize), abi_major: major, abi_minor: minor, required_minor: 0, host: host, plugin: nil)
        let status = PluginExport.entry(&block, Self.definition)
        return (status, block)
    }

    @Test func aHostTableShorterThan1_0IsRefused() {
        #expect(hostTableSizeOfABI1_0 == 200)
        #expect(negotiate(host: Self.host(size: hostTableSizeOfABI1_0 - 8, minor: 0), minor: 0).0 == SY_E_ABI)
    }

    @Test func aShortNegotiateBlockIsRefusedWithoutWritingPastIt() {
        let host = Self.host(size: MemoryLayout<sy_host_api>.size)
        let (status, block) = negotiate(host: host, blockSize: 16)
        #expect(status == SY_E_ABI)
        #expect(block.required_minor == 0 && block.plugin == nil)  // past byte 16: untouched
        let (tiny, untouched) = negotiate(host: host, blockSize: 4, major: 9)
        #expect(tiny == SY_E_ABI)
        #expect(untouched.abi_major == 9)  // byte 4 is past a 4-byte block: not written
    }

    @Test func anotherMajorIsToldOurs() {
        let (status, block) = negotiate(host: Self.host(size: MemoryLayout<sy_host_api>.size), major: 2)
        #expect(status == SY_E_ABI)
        #expect(block.abi_major == SY_ABI_MAJOR)
    }

    @Test func theDeadlineIsAskedOnlyOfAHostThatHasIt() {
        let call = OpaquePointer(bitPattern: 0xCA11)
        let current = PluginCall(call, host: PluginHost(api: Self.host(size: MemoryLayout<sy_host_api>.size), instance: nil))
        #expect(current.deadline == 1_250_000_000)
        #expect(current.remainingNanoseconds == 250_000_000)
        // A 1.0 host's table ends before call_deadline_ns: nil, whatever lies past its end.
        let old = PluginCall(call, host: PluginHost(api: Self.host(size: hostTableSizeOfABI1_0, minor: 0), instance: nil))
        #expect(old.deadline == nil)
        #expect(old.remainingNanoseconds == nil)
        // 0 from the host: no deadline.
        let none = PluginCall(nil, host: PluginHost(api: Self.host(size: MemoryLayout<sy_host_api>.size), instance: nil))
        #expect(none.deadline == nil)
    }
}

final class ABINegotiationEnricher: Enricher {
    static var phases: ExchangePhases { [.request] }
    init(config: JSONValue, host: PluginHost) throws(PluginError) {}
    func begin(_ call: PluginCall, info: CallInfo, request: ExchangeHead) throws(PluginError) -> (any EnrichmentObservation)? { nil }
}
