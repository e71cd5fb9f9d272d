import CLinux
import CSwitchyardPlugin
import Synchronization
import SwitchyardPosix
#if canImport(Glibc)
import Glibc
#endif

/// The runner process of an isolated plugin: `switchyard __plugin-runner FD PATH MEMORY PARENT`,
/// started by the gateway's `IsolatedRunner`. It loads the library with dlopen (RTLD_NOW |
/// RTLD_LOCAL), negotiates it against `RunnerHost.table`, says hello on the socket at FD, then
/// runs what the gateway sends: instance_new on its main thread (as [control]), hook calls on a
/// pool of `poolThreads` threads, so concurrent requests run concurrently (calls are multiplexed
/// on the one socket by call id). It ends when the gateway closes the socket, and with the
/// gateway (PR_SET_PDEATHSIG).
///
/// Containment is the process boundary: whatever the plugin does here (a segfault, an abort, an
/// endless loop, a leak past MEMORY bytes more address space than it started with) ends this
/// process only.
public enum PluginRunner {
    public static let command = "__plugin-runner"
    /// Hook calls in flight at once: a call beyond this waits in the runner's queue.
    static let poolThreads = 16

    public static func main(_ arguments: [String]) -> Int32 {
        guard arguments.count == 4, let descriptor = Int32(arguments[0]), let memory = Int(arguments[2]), let parent = Int32(arguments[3]) else {
            printError("\(command): expected FD PATH MEMORY_BYTES PARENT_PID (this command is started by the gateway)")
            return 2
        }
        let path = arguments[1]
        // Nothing the plugin starts inherits the socket (a child holding it would keep calls
        // waiting after this runner ended) or any other descriptor the gateway leaked to us.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        closeInheritedDescriptors(keeping: descriptor)
        // Dies with the gateway; checked after setting, in case the gateway was already gone.
        _ = sy_set_parent_death_signal(SIGKILL)
        guard getppid() == parent else { return 1 }
        // Few malloc arenas: each reserves 64 MiB of address space, which counts against RLIMIT_AS.
        _ = mallopt(M_ARENA_MAX, 2)
        let channel = FrameChannel(descriptor: descriptor)
        RunnerHost.channel = channel
        guard let plugin = RunnerPlugin.open(path: path, channel: channel) else { return 1 }
        let pool = RunnerPool(threads: poolThreads)
        limitAddressSpace(growth: memory)
        while true {
            switch channel.receive() {
            case .frame(let frame):
                if frame.type == .instanceNew {
                    plugin.instanceNew(frame)
                } else if frame.type == .cancel {
                    RunnerRecording.cancel(frame.call)
                } else {
                    pool.submit { plugin.handle(frame) }
                }
            case .wouldBlock:
                continue
            case .end, .broken:
                // The gateway is gone or stopped this runner: nothing here needs saving.
                _exit(0)
            }
        }
    }

    /// Closes every descriptor above stderr but `kept`.
    static func closeInheritedDescriptors(keeping kept: Int32) {
        let highest = UInt32.max
        if kept > 3 { _ = sy_close_range(3, UInt32(kept) - 1) }
        if sy_close_range(UInt32(max(kept, 2)) + 1, highest) == 0 { return }
        // No close_range (kernel before 5.9): one by one, up to the descriptor limit.
        let limit = min(Int32(clamping: sysconf(Int32(_SC_OPEN_MAX))), 65536)
        var descriptor: Int32 = 3
        while descriptor < limit {
            if descriptor != kept { _ = Glibc.close(descriptor) }
            descriptor += 1
        }
    }

    /// Caps the address space at what the runner holds now (the runtime, the plugin's image, the
    /// pool's thread stacks: start-up costs, tens to hundreds of MiB of reservations that vary by
    /// build and kernel) plus `growth` bytes, the plugin's allowance. A cap on the whole space
    /// would be eaten by those reservations, and fail pthread_create before any plugin code ran.
    /// AddressSanitizer builds reserve terabytes of shadow address space and map more as they
    /// allocate: a limit would only break the sanitizer, so it is left off there.
    static func limitAddressSpace(growth: Int) {
        guard growth > 0, dlsym(nil, "__asan_init") == nil else { return }
        var pages = 0
        if let statm = fopen("/proc/self/statm", "r") {
            defer { fclose(statm) }
            var size = 0
            if fscanf_size(statm, &size) { pages = size }
        }
        let current = pages * Int(getpagesize())
        let cap = rlim_t(current) + rlim_t(growth)
        var limit = rlimit(rlim_cur: cap, rlim_max: cap)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
    }

    /// The first number of /proc/self/statm (the address space, in pages).
    private static func fscanf_size(_ file: UnsafeMutablePointer<FILE>, _ size: inout Int) -> Bool {
        var line = [CChar](repeating: 0, count: 128)
        guard fgets(&line, Int32(line.count), file) != nil else { return false }
        let text = String(cString: line)
        guard let first = text.split(separator: " ").first, let value = Int(first) else { return false }
        size = value
        return true
    }

    static func printError(_ message: String) {
        var line = message + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}

/// A fixed pool of threads running submitted jobs in order of submission. A submission wakes
/// one idle thread (a semaphore post), not all of them: with 16 threads a broadcast would wake
/// 16 for every hook call.
final class RunnerPool: @unchecked Sendable {  // queue guarded by `queue`'s lock; the semaphore counts jobs
    private let queue = Mutex<(jobs: [@Sendable () -> Void], head: Int)>(([], 0))
    private let ready = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(threads: Int) {
        sem_init(ready, 0, 0)
        for _ in 0..<threads {
            startDetachedThread { [self] in
                while true { self.take()() }
            }
        }
    }

    func submit(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(job) }
        sem_post(ready)
    }

    private func take() -> @Sendable () -> Void {
        while sem_wait(ready) != 0 {}  // EINTR
        return queue.withLock { queue in
            let job = queue.jobs[queue.head]
            queue.head += 1
            if queue.head > 1024 && queue.head * 2 > queue.jobs.count {
                queue.jobs.removeFirst(queue.head)
                queue.head = 0
            }
            return job
        }
    }
}
