import SwitchyardCore
#if canImport(Glibc)
import Glibc
#endif

/// Files the gateway keeps itself, in a folder beside its store: uploads meant for a provider
/// with no files API of its own (Anthropic's batches take their requests inline), and the
/// result files the gateway writes for such a provider's batches. A held file's `files` row has
/// provider "" (the gateway) and its own id as `upstream_id`.
///
/// A file is written as `ID.part` and becomes `ID` only when whole: the rename (after fsync) runs
/// on the store's writer thread, in the same job that records it. A crash can still fall between
/// the rename and the commit (or between a deleted record and its bytes): the next start removes
/// every `.part` and every file no record names (`sweep`), so a held file and its record come
/// and go together.
///
/// Threading: immutable; any thread. The writers and readers it makes are single-owner.
final class HeldFiles: Sendable {
    let folder: String

    /// Creates the folder when missing and removes what a crash left half-written.
    init(folder: String) throws(GatewayError) {
        self.folder = folder
        if mkdir(folder, 0o700) != 0, errno != EEXIST {
            throw GatewayError.internalError("cannot create the held-files folder \(folder) (errno \(errno))")
        }
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".part") { unlink(folder + "/" + name) }
        }
    }

    func path(of id: String) -> String { folder + "/" + id }

    /// Removes every held file that `recorded` does not name: what a crash left between a
    /// rename and its commit, or between a deleted record and its bytes. At start, before any
    /// request can be writing one. The count removed.
    @discardableResult
    func sweep(keeping recorded: Set<String>) -> Int {
        guard let directory = opendir(folder) else { return 0 }
        defer { closedir(directory) }
        var removed = 0
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != "..", !recorded.contains(name) else { continue }
            if unlink(folder + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    /// A new file `id`, written as `id.part` until `HeldFileWriter.commit`.
    func create(_ id: String) throws(GatewayError) -> HeldFileWriter {
        try HeldFileWriter(partPath: path(of: id) + ".part", finalPath: path(of: id))
    }

    /// The whole file `id`, or nil when there is none.
    func open(_ id: String) -> HeldFileReader? {
        HeldFileReader(path: path(of: id))
    }

    /// Removes file `id`; true when it was there.
    @discardableResult
    func delete(_ id: String) -> Bool { unlink(path(of: id)) == 0 }
}
