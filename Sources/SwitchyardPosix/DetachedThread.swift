#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on a new detached thread (a config reload, which blocks in plugins' instance_new
/// and must stay off the event loops and the signal thread).
public func startDetachedThread(_ body: @escaping @Sendable () -> Void) {
    let box = Unmanaged.passRetained(DetachedBody(body))
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<DetachedBody>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box.toOpaque())
    precondition(rc == 0, "pthread_create failed: \(rc)")
    pthread_detach(thread)
}

private final class DetachedBody {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
}
