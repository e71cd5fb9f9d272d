#if canImport(Glibc)
import Glibc
#endif

/// A plugin file on disk, checked before dlopen sees it: an absolute path to a regular file,
/// identified by device + inode (the dedupe key), optionally pinned by SHA-256.
struct PluginFile {
    let path: String
    let entry: String?
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modified: timespec

    /// stat()s `path`. stat, not open: opening a FIFO would block, and a directory would open.
    init(path: String, entry: String?) throws(PluginLoadError) {
        guard path.hasPrefix("/") else {
            throw PluginLoadError(.pathNotAbsolute, entry: entry, path: path, "plugin paths must be absolute")
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            let kind: PluginLoadError.Kind = errno == ENOENT || errno == ENOTDIR ? .fileMissing : .unreadable
            throw PluginLoadError(kind, entry: entry, path: path, kind == .fileMissing ? "no such file (\(reason))" : "cannot stat (\(reason))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw PluginLoadError(.notARegularFile, entry: entry, path: path, "not a regular file")
        }
        self.path = path
        self.entry = entry
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
    }

    var key: String { "\(device):\(inode)" }

    /// Refuses the file unless its SHA-256 is `expected` (64 hex digits, any case).
    func verify(sha256 expected: String) throws(PluginLoadError) {
        let expected = expected.lowercased()
        guard expected.utf8.count == 64, expected.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw PluginLoadError(.checksumMismatch, entry: entry, path: path, "the sha256 pin \"\(expected)\" is not 64 hex digits")
        }
        let actual = try PluginFile.sha256(path: path, entry: entry)
        guard actual == expected else {
            throw PluginLoadError(.checksumMismatch, entry: entry, path: path, "sha256 mismatch: expected \(expected), actual \(actual)")
        }
    }

    /// After dlopen: the file the checksum was computed over is still the one at `path`
    /// (same inode, size and mtime), so the pin held for the bytes that were loaded.
    func verifyUnchanged() throws(PluginLoadError) {
        var info = stat()
        guard stat(path, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode,
              Int64(info.st_size) == size, info.st_mtim.tv_sec == modified.tv_sec, info.st_mtim.tv_nsec == modified.tv_nsec
        else {
            throw PluginLoadError(.unreadable, entry: entry, path: path, "the file changed while it was being loaded; refusing it")
        }
    }

    /// Lowercase hex SHA-256 of the file, read in 64 KiB chunks.
    static func sha256(path: String, entry: String? = nil) throws(PluginLoadError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw PluginLoadError(.unreadable, entry: entry, path: path, "cannot read (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var hasher = SHA256()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = read(fd, chunk.baseAddress, chunk.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw PluginLoadError(.unreadable, entry: entry, path: path, "read failed (\(String(cString: strerror(errno))))")
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
        return hasher.hexDigest()
    }
}
