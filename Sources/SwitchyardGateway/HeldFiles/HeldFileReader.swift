import SwitchyardUpstream
#if canImport(Glibc)
import Glibc
#endif

/// One whole held file, read front to back: as an upstream request body (a batch's create body
/// is built from it) or in pieces for a client's download.
///
/// Threading: single owner (a loop); reads are of a local file. Lifetime: the descriptor closes
/// in deinit.
final class HeldFileReader: UpstreamBodySource, @unchecked Sendable {
    private let descriptor: Int32
    let size: Int
    private var offset = 0

    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var facts = stat()
        guard fstat(descriptor, &facts) == 0 else { close(descriptor); return nil }
        self.descriptor = descriptor
        size = Int(facts.st_size)
    }

    deinit { close(descriptor) }

    var length: Int? { size }
    var onReadable: (() -> Void)?

    /// The file's first line (without its newline), read without moving the read position;
    /// nil when there is no newline in the first `limit` bytes and the file is longer.
    func firstLine(limit: Int) -> [UInt8]? {
        var head = [UInt8](repeating: 0, count: min(limit, size))
        let count = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        guard count >= 0 else { return nil }
        head.removeSubrange(count...)
        if let newline = head.firstIndex(of: UInt8(ascii: "\n")) { return Array(head[..<newline]) }
        return count == size ? head : nil
    }

    /// The next piece, or `.end`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        guard offset < size else { return .end }
        while true {
            let result = pread(descriptor, buffer.baseAddress!, min(buffer.count, size - offset), off_t(offset))
            if result < 0, errno == EINTR { continue }
            guard result > 0 else { return .failed("a held file could not be read (errno \(errno))") }
            offset += result
            return .bytes(result)
        }
    }
}
