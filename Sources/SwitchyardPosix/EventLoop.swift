import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Readiness bits, as epoll reports them.
public struct IOEvents: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = IOEvents(rawValue: EPOLLIN.rawValue)
    public static let writable = IOEvents(rawValue: EPOLLOUT.rawValue)
    /// The peer closed its writing half (or the whole connection).
    public static let peerClosed = IOEvents(rawValue: EPOLLRDHUP.rawValue)
    public static let hangup = IOEvents(rawValue: EPOLLHUP.rawValue)
    public static let error = IOEvents(rawValue: EPOLLERR.rawValue)
    /// For a file descriptor several loops watch (a shared listener): an event wakes one of
    /// them, not all. Only at registration; `modify` refuses it.
    public static let exclusive = IOEvents(rawValue: EPOLLEXCLUSIVE.rawValue)
}

/// Something that owns a file descriptor registered with an `EventLoop`.
/// Called on the loop's thread only.
public protocol IOHandler: AnyObject {
    func handleIO(fd: Int32, events: IOEvents)
}

/// One epoll event loop on one thread. Every connection, upstream transfer and timer of a request
/// lives on the loop that accepted it, so the request path never hops threads.
///
/// Threading: `execute(_:)`, `stop()` and `isOnLoop` are thread-safe. Everything else must be
/// called on the loop's own thread (from a handler, a timer or an executed task), or before `run()`.
public final class EventLoop: @unchecked Sendable {
    private let epollFD: Int32
    private let wakeFD: Int32
    /// Handlers indexed by file descriptor: an array lookup per event, no hashing.
    private var handlers: [IOHandler?] = []
    private var timers = TimerQueue()
    private var pendingTasks: [@Sendable () -> Void] = []
    private var tasksLock = pthread_mutex_t()
    private var stopRequested = false
    private var thread: pthread_t?

    public init() throws(IOError) {
        epollFD = try syscall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }
        wakeFD = try syscall("eventfd") { eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC)) }
        pthread_mutex_init(&tasksLock, nil)
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        try syscall("epoll_ctl") { epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) }
    }

    deinit {
        close(wakeFD)
        close(epollFD)
        pthread_mutex_destroy(&tasksLock)
    }

    /// True when called on the thread running this loop.
    public var isOnLoop: Bool {
        guard let thread else { return false }
        return pthread_equal(thread, pthread_self()) != 0
    }

    // MARK: file descriptors

    public func register(fd: Int32, events: IOEvents, handler: IOHandler) throws(IOError) {
        var event = epoll_event(events: events.rawValue, data: epoll_data_t(fd: fd))
        try syscall("epoll_ctl(ADD)") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }
        let index = Int(fd)
        if index >= handlers.count { handlers.append(contentsOf: repeatElement(nil, count: index - handlers.count + 64)) }
        handlers[index] = handler
    }

    public func modify(fd: Int32, events: IOEvents) throws(IOError) {
        var event = epoll_event(events: events.rawValue, data: epoll_data_t(fd: fd))
        try syscall("epoll_ctl(MOD)") { epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) }
    }

    /// Stops watching `fd`. Call before closing it; the handler is released.
    public func unregister(fd: Int32) {
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        if Int(fd) < handlers.count { handlers[Int(fd)] = nil }
    }

    // MARK: timers

    /// Runs `callback` on the loop after `nanoseconds` (millisecond resolution).
    @discardableResult
    public func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        timers.schedule(at: monotonicNanoseconds() &+ nanoseconds, callback)
    }

    public func cancel(_ timer: TimerID) {
        timers.cancel(timer)
    }

    // MARK: cross-thread

    /// Runs `task` on the loop thread soon. Thread-safe.
    public func execute(_ task: @escaping @Sendable () -> Void) {
        pthread_mutex_lock(&tasksLock)
        pendingTasks.append(task)
        pthread_mutex_unlock(&tasksLock)
        wake()
    }

    /// Asks `run()` to return after the current iteration. Thread-safe.
    public func stop() {
        execute { [weak self] in self?.stopRequested = true }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: running

    /// Runs the loop on the calling thread until `stop()`.
    public func run() {
        thread = pthread_self()
        let capacity = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while !stopRequested {
            let count = epoll_wait(epollFD, events, Int32(capacity), waitTimeoutMilliseconds())
            if count < 0 {
                if errno == EINTR { continue }
                fatalError("epoll_wait: \(IOError("epoll_wait"))")
            }
            for index in 0..<Int(count) {
                let event = events[index]
                let fd = event.data.fd
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    continue
                }
                // A handler may unregister itself or another fd while we iterate: look it up anew.
                if Int(fd) < handlers.count, let handler = handlers[Int(fd)] {
                    handler.handleIO(fd: fd, events: IOEvents(rawValue: event.events))
                }
            }
            runExpiredTimers()
            runPendingTasks()
        }
        runPendingTasks()
    }

    private func waitTimeoutMilliseconds() -> Int32 {
        pthread_mutex_lock(&tasksLock)
        let hasTasks = !pendingTasks.isEmpty
        pthread_mutex_unlock(&tasksLock)
        if hasTasks { return 0 }
        guard let deadline = timers.nextDeadline() else { return -1 }
        let now = monotonicNanoseconds()
        if deadline <= now { return 0 }
        // Round up so a timer never fires early and the loop never spins on a 0 ms wait.
        return Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
    }

    private func runExpiredTimers() {
        for callback in timers.takeExpired(now: monotonicNanoseconds()) { callback() }
    }

    private func runPendingTasks() {
        pthread_mutex_lock(&tasksLock)
        let tasks = pendingTasks
        pendingTasks.removeAll(keepingCapacity: true)
        pthread_mutex_unlock(&tasksLock)
        for task in tasks { task() }
    }
}
