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

    init(path: String) throws(Problem) {
        let bytes = try Self.read(path)
        func u16(_ at: Int) -> UInt16 { at + 2 <= bytes.count ? UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 : 0 }
        func u32(_ at: Int) -> UInt32 { at + 4 <= bytes.count ? (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * $1) } : 0 }
        func u64(_ at: Int) -> Int { at + 8 <= bytes.count ? Int(truncatingIfNeeded: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }) : 0 }
        guard bytes.count >= 64, bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else { throw .notELF }
        guard bytes[4] == 2, bytes[5] == 1 else { throw .malformed("not 64-bit little-endian") }
        let type = u16(16)
        guard type == 3 else { throw .notShared(type) }
        let sectionOffset = u64(0x28), sectionSize = Int(u16(0x3A)), sectionCount = Int(u16(0x3C))
        guard sectionSize >= 64, sectionOffset > 0, sectionOffset + sectionSize * sectionCount <= bytes.count else {
            throw .malformed("section headers out of the file")
        }
        for index in 0..<sectionCount {
            let header = sectionOffset + index * sectionSize
            guard u32(header + 4) == 11 else { continue }  // SHT_DYNSYM
            let offset = u64(header + 0x18), size = u64(header + 0x20), entrySize = max(u64(header + 0x38), 24)
            let link = Int(u32(header + 0x28))
            guard link < sectionCount, offset + size <= bytes.count else { throw .malformed("dynsym out of the file") }
            let strings = sectionOffset + link * sectionSize
            let stringsOffset = u64(strings + 0x18), stringsSize = u64(strings + 0x20)
            guard stringsOffset + stringsSize <= bytes.count else { throw .malformed("dynstr out of the file") }
            func name(_ at: Int) -> String {
                guard at < stringsSize else { return "" }
                let start = stringsOffset + at
                let end = bytes[start..<(stringsOffset + stringsSize)].firstIndex(of: 0) ?? (stringsOffset + stringsSize)
                return String(decoding: bytes[start..<end], as: UTF8.self)
            }
            for symbol in stride(from: offset + entrySize, to: offset + size, by: entrySize) {
                let symbolName = name(Int(u32(symbol)))
                guard !symbolName.isEmpty else { continue }
                let info = bytes[symbol + 4], visibility = bytes[symbol + 5] & 3, section = u16(symbol + 6)
                let binding = info >> 4
                guard binding == 1 || binding == 2 || binding == 10 else { continue }  // GLOBAL, WEAK, GNU_UNIQUE
                if section == 0 {
                    if binding != 2 { undefined.append(symbolName) }  // an undefined weak symbol may stay NULL
                } else if visibility == 0 || visibility == 3 {
                    exported.append(Symbol(name: symbolName, isFunction: info & 0xF == 2))
                }
            }
        }
    }

    private static func read(_ path: String) throws(Problem) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(String(cString: strerror(errno)))
            }
            bytes += chunk[..<count]
        }
        return bytes
    }
}
