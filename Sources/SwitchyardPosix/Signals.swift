import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide signal handling for a server: SIGPIPE ignored (writes to a closed peer are
/// errors, not deaths), SIGTERM and SIGINT blocked in every thread and taken with sigwait by the
/// thread that called `waitForTermination`.
public enum Signals {
    /// Call before starting any thread: threads inherit the signal mask.
    public static func blockTermination() {
        signal(SIGPIPE, SIG_IGN)
        var set = terminationSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Blocks until SIGTERM or SIGINT arrives; returns it.
    public static func waitForTermination() -> Int32 {
        var set = terminationSet()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    private static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }
}
