import SwitchyardCore
import SwitchyardUpstream
import Testing
@testable import SwitchyardGateway

/// Bytes handed out in small reads, with a `.wait` before every other one (as a client's body
/// arrives), calling `onReadable` when asked again.
final class TrickleSource: UpstreamBodySource, @unchecked Sendable {
    private let bytes: [UInt8]
    private var offset = 0
    private var waitNext = true
    var length: Int?
    var onReadable: (() -> Void)?

    init(_ bytes: [UInt8], announceLength: Bool) {
        self.bytes = bytes
        length = announceLength ? bytes.count : nil
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        waitNext.toggle()
        if !waitNext, offset < bytes.count { return .wait }
        guard offset < bytes.count else { return .end }
        let count = min(5, buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
        offset += count
        return .bytes(count)
    }
}

/// Pulls a whole body from a source as the transport does (`.wait` means ask again).
func drain(_ source: any UpstreamBodySource, bufferSize: Int = 11) -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: bufferSize)
    while true {
        switch buffer.withUnsafeMutableBytes({ source.read(into: $0) }) {
        case .bytes(let count): out += buffer[0..<count]
        case .wait: continue
        case .end: return out
        case .failed(let reason): Issue.record("failed: \(reason)"); return out
        }
    }
}

@Suite struct MultipartWriterTests {
    @Test func whatTheWriterWritesTheReaderReads() {
        let writer = MultipartWriter(boundary: "sy-test")
        let content = Array("{\"custom_id\":\"1\"}\n\r\n--sy-tes\n".utf8)
        let body = writer.head(fields: [("purpose", "batch"), ("expires_after[anchor]", "created_at")], filename: "in \"1\".jsonl", contentType: "application/jsonl")
            + content + writer.tail
        let got = readForm(body, boundary: "sy-test", pieceSize: { 13 })
        #expect(got.error == nil)
        #expect(got.fields == ["purpose": "batch", "expires_after[anchor]": "created_at"])
        #expect(got.files.first?.head == MultipartPartHead(name: "file", filename: "in %221%22.jsonl", contentType: "application/jsonl"))
        #expect(got.files.first?.bytes == content)
        #expect(writer.contentType == "multipart/form-data; boundary=sy-test")
    }

    @Test func aNameCannotEndItsQuoteOrItsLine() {
        #expect(MultipartWriter.quoted("a\"b\r\nc.jsonl") == "a%22b%0D%0Ac.jsonl")
        #expect(MultipartWriter.quoted("plain é.jsonl") == "plain é.jsonl")
        let writer = MultipartWriter(boundary: "b")
        let head = String(decoding: writer.head(fields: [], filename: "x", contentType: "text/plain\r\nX-Evil: 1"), as: UTF8.self)
        #expect(head.contains("Content-Type: application/octet-stream\r\n") && !head.contains("X-Evil"))
    }

    @Test func everyUploadGetsItsOwnRandomBoundary() {
        let first = MultipartWriter(), second = MultipartWriter()
        #expect(first.boundary != second.boundary && first.boundary.hasPrefix("switchyard-") && first.boundary.utf8.count == 35)
    }

    @Test(arguments: [true, false])
    func theUploadBodyStreamsTheFileBetweenHeadAndTail(announceLength: Bool) {
        let writer = MultipartWriter(boundary: "sy-body")
        let content = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let file = TrickleSource(content, announceLength: announceLength)
        let body = MultipartUploadBody(writer: writer, fields: [("purpose", "user_data")], filename: "b.bin", contentType: "application/octet-stream", file: file)
        var woken = 0
        body.onReadable = { woken += 1 }
        file.onReadable?()
        #expect(woken == 1)  // the file's wake-up reaches the transport
        let bytes = drain(body)
        let expected = writer.head(fields: [("purpose", "user_data")], filename: "b.bin", contentType: "application/octet-stream") + content + writer.tail
        #expect(bytes == expected)
        #expect(body.length == (announceLength ? expected.count : nil))
        #expect(readForm(bytes, boundary: "sy-body", pieceSize: { 64 }).files.first?.bytes == content)
    }
}
