import Foundation
@testable import SwitchyardPlugins
import Testing

/// ELFSymbols on a real shared object, and on every way its bytes can lie: truncated at each
/// length, offsets and sizes replaced by huge or garbage values, random bytes. Each is a
/// `Problem` or a parse, never a crash; a FIFO or a device is refused without reading.
@Suite struct ELFSymbolsTests {
    func realLibrary() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.plugin("good_provider"))))
    }

    @Test func aRealLibraryExportsItsEntry() throws {
        let symbols = try ELFSymbols(bytes: try realLibrary())
        #expect(symbols.exported.contains(ELFSymbols.Symbol(name: "sy_plugin_entry", isFunction: true)))
    }

    @Test func truncatedFilesAreProblemsNotCrashes() throws {
        let bytes = try realLibrary()
        var parsed = 0
        for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 2000)) {
            if (try? ELFSymbols(bytes: Array(bytes[..<length]))) != nil { parsed += 1 }
        }
        #expect(parsed < 2000)  // most cuts lose the section headers at the end
    }

    @Test func hugeOrGarbageFieldsAreProblemsNotCrashes() throws {
        let bytes = try realLibrary()
        let sectionOffset = Int(bytes[0x28]) | Int(bytes[0x29]) << 8 | Int(bytes[0x2A]) << 16 | Int(bytes[0x2B]) << 24
        let sectionCount = Int(bytes[0x3C]) | Int(bytes[0x3D]) << 8
        // Every 8-byte field of every section header, and the ELF header's, set to values that
        // overflow or point past the file.
        var fields = [0x20, 0x28, 0x30, 0x38]
        for index in 0..<sectionCount {
            fields += [0x10, 0x18, 0x20, 0x28, 0x30, 0x38].map { sectionOffset + index * 64 + $0 }
        }
        for field in fields where field + 8 <= bytes.count {
            for value: UInt64 in [UInt64.max, UInt64(Int.max), UInt64(Int.max) - 8, UInt64(bytes.count), 0x4141_4141_4141_4141, 1] {
                var changed = bytes
                for byte in 0..<8 { changed[field + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
                _ = try? ELFSymbols(bytes: changed)
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var changed = bytes
            for _ in 0..<16 { changed[Int.random(in: 0..<changed.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            _ = try? ELFSymbols(bytes: changed)
            _ = try? ELFSymbols(bytes: Array(bytes[..<64]) + (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
    }

    @Test func aDeviceOrAFIFOIsRefusedWithoutReading() throws {
        #expect(throws: ELFSymbols.Problem.self) { try ELFSymbols(path: "/dev/zero") }
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("elf-fifo-\(getpid())").path
        try #require(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        #expect(throws: ELFSymbols.Problem.self) { try ELFSymbols(path: fifo) }
    }
}
