import Testing

@testable import SwitchyardConfig

/// Bad input must give an error, never a crash: mutate the default config many times, with a
/// fixed seed so any failure reproduces.
@Suite("Mutated input")
struct MutationTests {
    /// SplitMix64: deterministic and good enough to pick bytes.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("3000 mutations of the default config: each parses or fails with a located error")
    func mutations() {
        var random = Generator(state: 0x5357_4954_4348)
        let original = Array(defaultConfigYAML.utf8)
        let interesting: [UInt8] = Array("${}:-+[]{}&*<>|\"'\n\t #!%@`,?$".utf8) + [0x00, 0x01, 0x80, 0xC3, 0xFF]
        var parsed = 0
        var failed = 0
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = interesting.randomElement(using: &random)!
                case 1: bytes.insert(interesting.randomElement(using: &random)!, at: index)
                default: bytes.remove(at: index)
                }
            }
            do {
                _ = try ConfigLoader.parse(yaml: bytes, sourceName: "m.yaml", environment: .values(["SWITCHYARD_PLUGIN_DIR": "/p"]))
                parsed += 1
            } catch {
                failed += 1
                #expect(error.description.hasPrefix("m.yaml:"))
                #expect(!error.message.isEmpty)
            }
        }
        #expect(parsed + failed == 3000)
        #expect(failed > 0 && parsed > 0)
    }
}
