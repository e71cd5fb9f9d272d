#if canImport(Glibc)
import Glibc
#endif

/// Creating the store's directory (and its parents) when missing.
enum Directory {
    /// `mkdir -p` for the folder holding `file`; the error names the folder that failed.
    static func createParent(of file: String) throws(StoreError) {
        guard let slash = file.lastIndex(of: "/") else { return }  // in the working directory
        let folder = String(file[..<slash])
        if folder.isEmpty { return }
        try create(folder)
    }

    private static func create(_ folder: String) throws(StoreError) {
        var status = stat()
        if stat(folder, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw StoreError(.cannotOpen, "cannot create the store directory \(folder): a file of that name is in the way")
            }
            return
        }
        if let slash = folder.lastIndex(of: "/"), slash != folder.startIndex {
            try create(String(folder[..<slash]))
        }
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            throw StoreError(.cannotOpen, "cannot create the store directory \(folder): \(String(cString: strerror(errno)))")
        }
    }
}
