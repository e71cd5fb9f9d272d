import Glibc
import SwitchyardCore
import Testing
@testable import SwitchyardGateway

/// The files the gateway keeps itself: written as parts, whole only once committed, and what a
/// crash leaves removed at the next start.
@Suite struct HeldFilesTests {
    static func contents(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        while case let c = fgetc(file), c != EOF { bytes.append(UInt8(c)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aCommittedFileIsWholeUnderItsNameAndReadsBackInPieces() throws {
        let scratch = ScratchFile()
        defer { scratch.remove() }
        let held = try HeldFiles(folder: scratch.folder + "/files")
        let writer = try held.create("file-a")
        try writer.append(Array("first\n".utf8))
        #expect(access(held.path(of: "file-a"), F_OK) != 0)  // only the part so far
        try writer.append(Array("{\"second\":2}\n".utf8))
        try writer.commit()
        #expect(Self.contents(held.path(of: "file-a")) == "first\n{\"second\":2}\n")
        #expect(access(held.path(of: "file-a") + ".part", F_OK) != 0)
        let reader = try #require(held.open("file-a"))
        #expect(reader.firstLine(limit: 1024) == Array("first".utf8))
        var buffer = [UInt8](repeating: 0, count: 4)
        var read: [UInt8] = []
        while case .bytes(let count) = buffer.withUnsafeMutableBytes({ reader.read(into: $0) }) { read += buffer[..<count] }
        #expect(String(decoding: read, as: UTF8.self) == "first\n{\"second\":2}\n")
    }

    @Test func anAbortedWriterLeavesNothingAndTheFirstLineSkipsBlankOnes() throws {
        let scratch = ScratchFile()
        defer { scratch.remove() }
        let held = try HeldFiles(folder: scratch.folder + "/files")
        do {
            let writer = try held.create("gone")
            try writer.append(Array("x".utf8))
        }  // deinit aborts
        #expect(access(held.path(of: "gone") + ".part", F_OK) != 0)
        let writer = try held.create("blank-first")
        try writer.append(Array("\n  \r\n{\"a\":1}".utf8))
        try writer.commit()
        #expect(held.open("blank-first")?.firstLine(limit: 1024) == Array("{\"a\":1}".utf8))
        #expect(held.open("blank-first")?.firstLine(limit: 3) == nil)
        #expect(held.open("missing") == nil)
    }

    @Test func aStartRemovesPartsAndFilesNoRecordNames() throws {
        let scratch = ScratchFile()
        defer { scratch.remove() }
        let folder = scratch.folder + "/files"
        let first = try HeldFiles(folder: folder)
        for id in ["kept", "orphan"] {
            let writer = try first.create(id)
            try writer.append(Array("{}".utf8))
            try writer.commit()
        }
        let crashed = try first.create("half")
        try crashed.append(Array("{".utf8))
        let half = folder + "/half.part"
        #expect(access(half, F_OK) == 0)
        let again = try HeldFiles(folder: folder)  // a new start
        #expect(access(half, F_OK) != 0)
        #expect(again.sweep(keeping: ["kept"]) == 1)
        #expect(again.open("kept") != nil && again.open("orphan") == nil)
        crashed.abort()
    }
}
