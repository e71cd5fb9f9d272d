#if canImport(Glibc)
import Glibc
#endif

/// How a runner process ended, in words for the client's error and the log:
/// "crashed: Segmentation fault (signal 11)", "exited with status 3".
enum RunnerExit {
    static func describe(waitStatus status: Int32) -> String {
        let signal = status & 0x7F
        if signal != 0 {
            let name = strsignal(signal).map { String(cString: $0) } ?? "signal"
            return "crashed: \(name) (signal \(signal))"
        }
        return "exited with status \((status >> 8) & 0xFF)"
    }
}
