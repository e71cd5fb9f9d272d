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

    /// The file's first line that is not blank (without its newline), read 64 KiB at a time
    /// without moving the read position; nil when none ends within `limit` bytes.
    func firstLine(limit: Int) -> [UInt8]? {
        var lines = JSONLines(maxLineBytes: limit)
        var piece = [UInt8](repeating: 0, count: 64 << 10)
        var offset = 0
        while true {
            switch lines.next() {
            case .line(_, let bytes): return Array(bytes)
            case .tooLong: return nil
            case .needMore: break
            }
            guard offset < size else { return nil }
            let count = piece.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(offset)) }
            guard count > 0 else { return nil }
            offset += count
            piece.withUnsafeBytes { lines.append(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            if offset >= size { lines.finish() }
        }
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
