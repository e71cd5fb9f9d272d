import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A fast random source for one event loop (backoff jitter, trace and span ids): SplitMix64,
/// seeded from the kernel once per loop. Not cryptographic: nothing here is a secret, the ids
/// only need to be unique. Loop-confined (a value kept in `LoopContext`).
struct LoopRandom: RandomNumberGenerator {
    private var state: UInt64

    init() {
        var seed: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &seed) { getrandom($0.baseAddress, 8, 0) }
        state = seed ^ Self.monotonicSeed()
    }

    /// A fixed seed, for tests that replay a sequence.
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private static func monotonicSeed() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(truncatingIfNeeded: ts.tv_nsec) &* 0x2545_F491_4F6C_DD1D
    }
}
