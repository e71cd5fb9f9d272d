#if canImport(Glibc)
import Glibc
#endif

/// Reads a configuration file whole, with Glibc only (UTF-8 is checked by `ConfigLoader.parse`).
///
/// Errors name the path as given and say which case it is (missing, a directory, unreadable,
/// too large, bad UTF-8), since "cannot read config" alone sends operators guessing.
enum ConfigFile {
    /// Configuration files are small; this bound keeps `/dev/zero`-like mistakes finite.
    static let maxBytes = 4 << 20

    static func read(path: String) throws(ConfigError) -> [UInt8] {
        let file = SourceLocation.wholeFile(path)
        // O_NONBLOCK: opening a FIFO must not wait for a writer (it is then refused as not regular).
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw ConfigError("configuration file not found", at: file)
            case EACCES: throw ConfigError("configuration file is not readable (permission denied)", at: file)
            default: throw ConfigError("cannot open configuration file: \(describe(code))", at: file)
            }
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw ConfigError("cannot stat configuration file: \(describe(errno))", at: file)
        }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: throw ConfigError("configuration path is a directory, not a file", at: file)
        case S_IFREG: break
        default: throw ConfigError("configuration path is not a regular file", at: file)
        }
        if Int(info.st_size) > maxBytes {
            throw ConfigError("configuration file is larger than \(maxBytes) bytes", at: file)
        }

        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ConfigError("cannot read configuration file: \(describe(code))", at: file)
            }
            if count == 0 { break }  // the file shrank while we read it
            filled += count
        }
        bytes.removeSubrange(filled...)
        return bytes
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
