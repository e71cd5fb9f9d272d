import SwitchyardCore
import SwitchyardUpstream
#if canImport(Glibc)
import Glibc
#endif

/// A batch's prepared input on its way upstream: the lines as the preparers left them, written
/// to a temporary file beside the store (unlinked at once, so nothing is left behind however
/// the gateway ends) and read back as the body of the upload. A 100 MB input costs disk, not
/// memory.
///
/// Threading: loop-confined (the batch request's loop). Writes and reads are to the page cache
/// of a local file; they do not wait on the network. Lifetime: the descriptor closes in deinit.
final class SpoolFile: UpstreamBodySource, @unchecked Sendable {
    private let descriptor: Int32
    private(set) var count = 0
    private var readOffset = 0

    /// A new empty file in `folder`, already unlinked.
    init(in folder: String) throws(GatewayError) {
        var template = Array((folder + "/.batch-spool-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw GatewayError.internalError("cannot create a spool file in \(folder) (errno \(errno))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends `bytes` and a newline.
    func appendLine(_ bytes: some Collection<UInt8>) throws(GatewayError) {
        var line = [UInt8]()
        line.reserveCapacity(bytes.count + 1)
        line.append(contentsOf: bytes)
        line.append(UInt8(ascii: "\n"))
        try append(line)
    }

    /// Appends `line` as it is.
    func append(_ line: [UInt8]) throws(GatewayError) {
        var written = 0
        while written < line.count {
            let result = line.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + written, $0.count - written, off_t(count + written)) }
            if result < 0 {
                if errno == EINTR { continue }
                throw GatewayError.internalError("cannot write the batch's spool file (errno \(errno))")
            }
            written += result
        }
        count += written
    }

    // MARK: UpstreamBodySource

    var length: Int? { count }
    var onReadable: (() -> Void)?

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        guard readOffset < count else { return .end }
        while true {
            let result = pread(descriptor, buffer.baseAddress!, min(buffer.count, count - readOffset), off_t(readOffset))
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { return .failed("the batch's spool file could not be read (errno \(errno))") }
            readOffset += result
            return .bytes(result)
        }
    }
}
