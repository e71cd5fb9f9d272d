import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide signal handling for a server: SIGPIPE ignored (writes to a closed peer are
/// errors, not deaths); SIGTERM, SIGINT and SIGHUP blocked in every thread and taken with
/// sigwait by whichever thread calls `waitForTermination` (SIGHUP would otherwise kill the
/// process at once, losing whatever it had not written yet). SIGQUIT keeps its default (a core
/// dump, for a process that is stuck).
public enum Signals {
    /// Call before starting any thread: threads inherit the signal mask.
    public static func blockTermination() {
        signal(SIGPIPE, SIG_IGN)
        var set = waitedSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Blocks until SIGTERM or SIGINT arrives and returns it. Each SIGHUP on the way calls
    /// `onHangup` (on the calling thread) and the wait goes on. Any thread may wait, once
    /// `blockTermination` has run; a signal goes to one waiter only.
    public static func waitForTermination(onHangup: () -> Void = {}) -> Int32 {
        var set = waitedSet()
        while true {
            var received: Int32 = 0
            guard sigwait(&set, &received) == 0 else { continue }
            if received == SIGHUP { onHangup(); continue }
            return received
        }
    }

    /// Starts a detached thread that waits as `waitForTermination` does and calls `handler` with
    /// the signal: a second SIGTERM during a drain, while the thread that took the first one is
    /// busy draining. Both closures run on that thread.
    public static func watchTermination(onHangup: @escaping @Sendable () -> Void, _ handler: @escaping @Sendable (Int32) -> Void) {
        let box = Unmanaged.passRetained(Watch { handler(waitForTermination(onHangup: onHangup)) })
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<Watch>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create failed: \(rc)")
        pthread_detach(thread)
    }

    /// The exit status of a process ended by `signal` without handling it in full: 128 + the
    /// signal number (130 for SIGINT, 143 for SIGTERM), as shells report it.
    public static func exitStatus(for signal: Int32) -> Int32 { 128 + signal }

    /// "SIGTERM", "SIGSEGV" …: the usual name of a signal; any other as "signal N".
    public static func name(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGQUIT: "SIGQUIT"
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGILL: "SIGILL"
        case SIGFPE: "SIGFPE"
        case SIGABRT: "SIGABRT"
        case SIGTRAP: "SIGTRAP"
        case SIGSYS: "SIGSYS"
        case SIGKILL: "SIGKILL"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGUSR1: "SIGUSR1"
        case SIGUSR2: "SIGUSR2"
        default: "signal \(signal)"
        }
    }

    private static func waitedSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGHUP)
        return set
    }
}

private final class Watch {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}
