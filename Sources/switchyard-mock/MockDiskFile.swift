#if canImport(Glibc)
import Glibc
#endif

/// The bytes of one stored file (an upload, a batch's input, output or error file), kept on disk
/// rather than in memory: a temporary file unlinked as soon as it is created, so the mock leaves
/// nothing behind however it ends, and the space returns when the last reference goes (the
/// descriptor is closed in `deinit`).
///
/// Threading: one owner appends (the upload's loop, or the batch worker) before the file is
/// published to a store; published files are never written again, and `read(at:into:)` (pread)
/// is safe from any thread. Publication goes through the stores' mutexes, which order the
/// writes before every read.
final class MockDiskFile: @unchecked Sendable {
    private let descriptor: Int32
    /// Bytes appended so far.
    private(set) var count = 0

    /// A new empty file under `$TMPDIR` (else /tmp), already unlinked.
    init() throws(MockRejection) {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((folder + "/switchyard-mock-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw MockRejection(status: 500, message: "the mock could not create a temporary file in \(folder) (errno \(errno))")
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends all of `bytes`; a full disk is a 500 for the request that was writing.
    func append(_ bytes: UnsafeRawBufferPointer) throws(MockRejection) {
        var written = 0
        while written < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(count + written))
            if result < 0 {
                if errno == EINTR { continue }
                throw MockRejection(status: 500, message: "the mock could not write a temporary file (errno \(errno))")
            }
            written += result
        }
        count += written
    }

    func append(_ bytes: [UInt8]) throws(MockRejection) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(MockRejection) in try append(raw) } }
        try result.get()
    }

    /// Reads up to `buffer.count` bytes at `offset`; 0 at the end (or on an error: the file is
    /// then treated as ending there).
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let result = pread(descriptor, buffer.baseAddress!, buffer.count, off_t(offset))
            if result < 0, errno == EINTR { continue }
            return max(0, result)
        }
    }

    /// Calls `body` with each line (its `\n` and a `\r` before it removed, empty lines skipped)
    /// and its 1-based number, reading 64 KiB at a time, so only the longest line is ever held.
    /// A line longer than `maxLineBytes` ends the walk with `.tooLong(line)`.
    func forEachLine(maxLineBytes: Int, _ body: (_ line: [UInt8], _ number: Int) -> Void) -> LineWalk {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var line: [UInt8] = []
        var number = 0
        var offset = 0
        func emit() {
            number += 1
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if !line.isEmpty { body(line, number) }
            line.removeAll(keepingCapacity: true)
        }
        while true {
            let read = chunk.withUnsafeMutableBytes { self.read(at: offset, into: $0) }
            if read == 0 { break }
            offset += read
            var start = 0
            for index in 0..<read where chunk[index] == UInt8(ascii: "\n") {
                line.append(contentsOf: chunk[start..<index])
                emit()
                start = index + 1
            }
            line.append(contentsOf: chunk[start..<read])
            if line.count > maxLineBytes { return .tooLong(line: number + 1) }
        }
        if !line.isEmpty { emit() }
        return .done(lines: number)
    }

    enum LineWalk: Equatable {
        /// Every line was read; `lines` counts them, empty ones included.
        case done(lines: Int)
        case tooLong(line: Int)
    }
}
