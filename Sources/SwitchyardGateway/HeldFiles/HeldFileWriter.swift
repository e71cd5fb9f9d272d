import SwitchyardCore
#if canImport(Glibc)
import Glibc
#endif

/// One held file being written: bytes appended to `ID.part`; `commit()` makes it durable and
/// whole under its final name, `abort()` removes it.
///
/// Threading: `append` on the owner's loop (page-cache writes of a local file, never the
/// network); `commit` belongs on the store's writer thread (it fsyncs), inside the job that
/// records the file. Lifetime: the descriptor closes at commit, abort or deinit (an unfinished
/// writer removes its part).
final class HeldFileWriter: @unchecked Sendable {
    private let partPath: String
    private let finalPath: String
    private var descriptor: Int32
    private(set) var count = 0
    /// `flush()` made the bytes durable: `commit` need not fsync them again.
    private var flushed = false

    init(partPath: String, finalPath: String) throws(GatewayError) {
        self.partPath = partPath
        self.finalPath = finalPath
        descriptor = open(partPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw GatewayError.internalError("cannot create \(partPath) (errno \(errno))") }
    }

    deinit { abort() }

    func append(_ bytes: UnsafeRawBufferPointer) throws(GatewayError) {
        var written = 0
        while written < bytes.count {
            let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw GatewayError.internalError("cannot write \(partPath) (errno \(errno))")
            }
            written += result
        }
        count += written
    }

    func append(_ bytes: some Collection<UInt8>) throws(GatewayError) {
        let copy = Array(bytes)
        let result = copy.withUnsafeBytes { raw in Result { () throws(GatewayError) in try append(raw) } }
        try result.get()
    }

    /// Makes the bytes written so far durable (fsync): the slow part of a commit, which may take
    /// seconds for a large file, so callers run it before the store job (`Store.offLoop`) and
    /// leave the job only the rename. False when the disk refused.
    func flush() -> Bool {
        guard descriptor >= 0 else { return false }
        flushed = fsync(descriptor) == 0
        return flushed
    }

    /// fsync (unless flushed), close, rename to the final name, fsync the folder. Throws with
    /// the part removed.
    func commit() throws(GatewayError) {
        guard descriptor >= 0 else { throw GatewayError.internalError("\(partPath) was already closed") }
        let synced = flushed || fsync(descriptor) == 0
        close(descriptor)
        descriptor = -1
        guard synced, rename(partPath, finalPath) == 0 else {
            let failure = errno
            unlink(partPath)
            throw GatewayError.internalError("cannot keep \(finalPath) (errno \(failure))")
        }
        let folder = String(finalPath[..<(finalPath.lastIndex(of: "/") ?? finalPath.endIndex)])
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 { fsync(directory); close(directory) }
    }

    /// Drops what was written (idempotent; nothing after commit).
    func abort() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(partPath)
    }
}
