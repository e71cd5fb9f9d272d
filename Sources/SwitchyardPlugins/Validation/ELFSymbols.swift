#if canImport(Glibc)
import Glibc
#endif

/// The dynamic symbol table of an ELF64 little-endian shared object, read from the file without
/// loading it (loading runs the library's constructors, and a library with an undefined symbol
/// does not load at all): what it exports and what it needs from elsewhere.
struct ELFSymbols {
    struct Symbol: Equatable {
        let name: String
        let isFunction: Bool
    }

    /// Defined global (or weak) symbols of default or protected visibility: what dlsym can find.
    var exported: [Symbol] = []
    /// Undefined symbols the loader must resolve from other libraries.
    var undefined: [String] = []

    enum Problem: Error, CustomStringConvertible {
        case unreadable(String)
        case notELF
        case notShared(UInt16)
        case malformed(String)

        var description: String {
            switch self {
            case .unreadable(let why): "cannot read the file (\(why))"
            case .notELF: "not an ELF file"
            case .notShared(let type): "an ELF file but not a shared object (e_type \(type); 3 expected)"
            case .malformed(let what): "a malformed ELF file (\(what))"
            }
        }
    }

    /// Files larger than this are not read (no plugin is; /dev/zero would never end).
    static let maxFileBytes = 1 << 30

    init(path: String) throws(Problem) {
        try self.init(bytes: Self.read(path))
    }

    /// Parses `bytes` as the file. Every offset and size comes from the file: each is checked
    /// against it through `ELFBytes` before a byte is read (a malformed file is a `Problem`,
    /// never a crash).
    init(bytes: [UInt8]) throws(Problem) {
        let file = ELFBytes(bytes: bytes)
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else { throw .notELF }
        guard bytes[4] == 2, bytes[5] == 1 else { throw .malformed("not 64-bit little-endian") }
        let type = try file.u16(16)
        guard type == 3 else { throw .notShared(type) }
        let sectionOffset = try file.offset(0x28), sectionSize = Int(try file.u16(0x3A)), sectionCount = Int(try file.u16(0x3C))
        guard sectionSize >= 64, sectionOffset > 0, file.contains(sectionOffset, sectionSize * sectionCount) else {
            throw .malformed("section headers out of the file")
        }
        for index in 0..<sectionCount {
            let header = sectionOffset + index * sectionSize  // inside: checked above
            guard try file.u32(header + 4) == 11 else { continue }  // SHT_DYNSYM
            let offset = try file.offset(header + 0x18), size = try file.offset(header + 0x20)
            let entrySize = max(try file.offset(header + 0x38), 24)
            let link = Int(try file.u32(header + 0x28))
            guard link < sectionCount, file.contains(offset, size) else { throw .malformed("dynsym out of the file") }
            let strings = sectionOffset + link * sectionSize
            let stringsOffset = try file.offset(strings + 0x18), stringsSize = try file.offset(strings + 0x20)
            guard file.contains(stringsOffset, stringsSize) else { throw .malformed("dynstr out of the file") }
            func name(_ at: Int) -> String {
                guard at < stringsSize else { return "" }
                let start = stringsOffset + at, end = stringsOffset + stringsSize
                let stop = bytes[start..<end].firstIndex(of: 0) ?? end
                return String(decoding: bytes[start..<stop], as: UTF8.self)
            }
            // Entry 0 is the null symbol; an entry cut short by the section's end is not read.
            var (symbol, overflow) = offset.addingReportingOverflow(entrySize)
            if overflow { continue }
            while symbol <= offset + size - 24 && size >= 24 {
                let symbolName = name(Int(try file.u32(symbol)))
                let info = try file.u8(symbol + 4), visibility = try file.u8(symbol + 5) & 3, section = try file.u16(symbol + 6)
                let binding = info >> 4
                if !symbolName.isEmpty && (binding == 1 || binding == 2 || binding == 10) {  // GLOBAL, WEAK, GNU_UNIQUE
                    if section == 0 {
                        if binding != 2 { undefined.append(symbolName) }  // an undefined weak symbol may stay NULL
                    } else if visibility == 0 || visibility == 3 {
                        exported.append(Symbol(name: symbolName, isFunction: info & 0xF == 2))
                    }
                }
                (symbol, overflow) = symbol.addingReportingOverflow(entrySize)
                if overflow { break }
            }
        }
    }

    /// The whole file: a regular file of at most `maxFileBytes` (not a FIFO, not a device).
    private static func read(_ path: String) throws(Problem) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadable(String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .unreadable("not a regular file") }
        guard status.st_size <= maxFileBytes else { throw .unreadable("larger than \(maxFileBytes >> 20) MiB") }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count == 0 { break }  // shorter than it was: what there is
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            filled += count
        }
        return Array(bytes[..<filled])
    }
}

/// An ELF file's bytes, read little-endian at offsets the file itself gives: every read and
/// every range is checked (with overflow-checked arithmetic) and a bad one is a `Problem`.
struct ELFBytes {
    let bytes: [UInt8]

    /// True when `length` bytes from `offset` lie inside the file.
    func contains(_ offset: Int, _ length: Int) -> Bool {
        guard offset >= 0, length >= 0 else { return false }
        let (end, overflow) = offset.addingReportingOverflow(length)
        return !overflow && end <= bytes.count
    }

    private func little(_ at: Int, _ width: Int) throws(ELFSymbols.Problem) -> UInt64 {
        guard contains(at, width) else { throw .malformed("a field at \(at) out of the file") }
        var value: UInt64 = 0
        for index in 0..<width { value |= UInt64(bytes[at + index]) << (8 * UInt64(index)) }
        return value
    }

    func u8(_ at: Int) throws(ELFSymbols.Problem) -> UInt8 { UInt8(try little(at, 1)) }
    func u16(_ at: Int) throws(ELFSymbols.Problem) -> UInt16 { UInt16(try little(at, 2)) }
    func u32(_ at: Int) throws(ELFSymbols.Problem) -> UInt32 { UInt32(try little(at, 4)) }

    /// A 64-bit offset or size: one that does not fit an Int is out of any file.
    func offset(_ at: Int) throws(ELFSymbols.Problem) -> Int {
        guard let value = Int(exactly: try little(at, 8)) else { throw .malformed("an offset past any file at \(at)") }
        return value
    }
}
