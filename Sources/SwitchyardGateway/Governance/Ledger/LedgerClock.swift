import Glibc
import SwitchyardPosix

/// The wall clock budgets and rate limits read (Unix nanoseconds). Tests only, never in
/// production: `SWITCHYARD_TEST_CLOCK_FILE` names a file holding a number of seconds added to
/// this clock, read again at each call, so an end-to-end test can move the gateway to the next
/// minute or day without waiting. It moves only what reads this clock (rate windows, budget
/// periods, Retry-After/x-ratelimit-reset, Redis lease expiries), never key expiry, logs or
/// timeouts (docs/governance.md). Unset, the clock is the system's and no file is read.
struct LedgerClock: Sendable {
    let offsetFile: String?

    init(offsetFile: String? = nil) { self.offsetFile = offsetFile }

    static func fromEnvironment() -> LedgerClock {
        guard let path = getenv("SWITCHYARD_TEST_CLOCK_FILE") else { return LedgerClock() }
        return LedgerClock(offsetFile: String(cString: path))
    }

    func now() -> UInt64 {
        let wall = unixNanoseconds()
        guard let offsetFile else { return wall }
        let offset = Self.readOffset(offsetFile)
        return UInt64(max(0, Int64(wall) + offset * 1_000_000_000))
    }

    private static func readOffset(_ path: String) -> Int64 {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 32) }
        guard count > 0 else { return 0 }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters()
        return Int64(text) ?? 0
    }
}

private extension String {
    func trimmingCharacters() -> String {
        String(unicodeScalars.filter { !$0.properties.isWhitespace }.map(Character.init))
    }
}
