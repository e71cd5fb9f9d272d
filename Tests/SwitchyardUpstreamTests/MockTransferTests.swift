import Foundation
import SwitchyardPosix
import SwitchyardUpstream
import Testing

/// Counts and checks a binary response body against the pattern as it arrives, keeping none of it.
final class PatternRecorder: UpstreamResponseDelegate, @unchecked Sendable {
    var status = 0
    var headers: [(name: String, value: String)] = []
    var bytes = 0
    var intact = true
    var result: UpstreamResult?
    var onBody: ((PatternRecorder) -> Void)?
    let done = DispatchSemaphore(value: 0)

    func upstreamHead(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    func upstreamBody(_ chunk: UnsafeRawBufferPointer) {
        if !Pattern.matches(chunk, at: bytes) { intact = false }
        bytes += chunk.count
        onBody?(self)
    }

    func upstreamComplete(_ result: UpstreamResult) {
        self.result = result
        done.signal()
    }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
    var succeeded: Bool {
        if case .success = result { return true }
        return false
    }
}

/// The mock's bulk endpoints: /_mock/upload hashes a streamed body, /_mock/download streams a
/// generated one; both in bounded memory (the mock process's peak RSS is checked).
@Suite(.serialized) struct MockTransferTests {
    static func fnv1a64(_ bytes: some Sequence<UInt8>) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The mock's peak resident memory (VmHWM), in bytes.
    static func peakMemory(of mock: MockProcess) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(mock.pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }

    func upload(_ session: MockSession, _ source: PatternSource, method: String = "POST") -> Recorder {
        let recorder = Recorder()
        session.harness.start(UpstreamRequest(method: method, url: session.mock.url("/_mock/upload"), headers: [], bodySource: source), recorder)
        #expect(recorder.wait(seconds: 60))
        return recorder
    }

    func download(_ session: MockSession, _ query: String, configure: ((PatternRecorder) -> Void)? = nil) -> PatternRecorder {
        let recorder = PatternRecorder()
        configure?(recorder)
        let request = UpstreamRequest(method: "GET", url: session.mock.url("/_mock/download?" + query), headers: [], body: [])
        session.harness.start(request, recorder)
        #expect(recorder.done.wait(timeout: .now() + 60) == .success)
        return recorder
    }

    @Test func theHashIsFNV1a64() {
        // The published test vectors of FNV-1a 64.
        #expect(Self.fnv1a64([UInt8]()) == "cbf29ce484222325")
        #expect(Self.fnv1a64(Array("a".utf8)) == "af63dc4c8601ec8c")
        #expect(Self.fnv1a64(Array("foobar".utf8)) == "85944171f73967e8")
    }

    @Test func anUploadIsCountedAndHashed() throws {
        let session = try MockSession()
        defer { session.finish() }
        let size = 3 * 1024 * 1024 + 7
        for announce in [true, false] {
            let recorder = upload(session, PatternSource(total: size, announceLength: announce, loop: session.harness.loop), method: announce ? "PUT" : "POST")
            #expect(recorder.status == 200)
            let expected = Self.fnv1a64((0..<size).lazy.map { UInt8($0 % 251) })
            #expect(recorder.body == #"{"bytes":\#(size),"fnv1a64":"\#(expected)"}"#)
        }
    }

    @Test func anUploadWithoutABodyIsEmpty() throws {
        let session = try MockSession()
        defer { session.finish() }
        #expect(session.send("GET", "/_mock/upload").body == #"{"bytes":0,"fnv1a64":"cbf29ce484222325"}"#)
        #expect(session.send("POST", "/_mock/upload?x=1", "ab").body == #"{"bytes":2,"fnv1a64":"\#(Self.fnv1a64(Array("ab".utf8)))"}"#)
    }

    @Test func aLargeUploadKeepsTheMockSmall() throws {
        let session = try MockSession()
        defer { session.finish() }
        let size = 256 * 1024 * 1024
        let recorder = upload(session, PatternSource(total: size, announceLength: true, loop: session.harness.loop))
        #expect(recorder.body.hasPrefix(#"{"bytes":\#(size),"#))
        let peak = try #require(Self.peakMemory(of: session.mock))
        #expect(peak < 32 * 1024 * 1024, "the mock's peak RSS was \(peak) bytes")
    }

    @Test func aDownloadHasTheLengthAndThePattern() throws {
        let session = try MockSession()
        defer { session.finish() }
        let sized = download(session, "bytes=1000003")
        #expect(sized.succeeded && sized.status == 200)
        #expect(sized.header("content-length") == "1000003")
        #expect(sized.bytes == 1_000_003 && sized.intact)
        let chunked = download(session, "chunked=1&bytes=70000")
        #expect(chunked.header("transfer-encoding") == "chunked")
        #expect(chunked.bytes == 70_000 && chunked.intact && chunked.succeeded)
        let empty = download(session, "bytes=0")
        #expect(empty.bytes == 0 && empty.succeeded && empty.header("content-length") == "0")
    }

    /// 512 MiB to a client that stops reading now and then: the mock holds the download back
    /// instead of buffering it.
    @Test func aLargeDownloadToASlowClientKeepsTheMockSmall() throws {
        let session = try MockSession()
        defer { session.finish() }
        let size = 512 * 1024 * 1024
        let box = TransferBox()
        let loop = session.harness.loop
        let recorder = PatternRecorder()
        var nextPause = 64 * 1024 * 1024
        var pauses = 0
        recorder.onBody = { recorder in
            guard recorder.bytes >= nextPause else { return }
            nextPause += 64 * 1024 * 1024
            pauses += 1
            box.transfer?.pauseReceiving()
            loop.schedule(after: 100_000_000) { box.transfer?.resumeReceiving() }
        }
        session.harness.start(UpstreamRequest(method: "GET", url: session.mock.url("/_mock/download?bytes=\(size)"), headers: [], body: []), recorder, into: box)
        #expect(recorder.done.wait(timeout: .now() + 60) == .success)
        #expect(recorder.succeeded && recorder.bytes == size && recorder.intact)
        #expect(pauses == 8)
        let peak = try #require(Self.peakMemory(of: session.mock))
        #expect(peak < 32 * 1024 * 1024, "the mock's peak RSS was \(peak) bytes")
    }

    @Test(arguments: ["", "bytes=", "bytes=-5", "bytes=ten", "bytes=5&chunked=2", "chunked=1"])
    func aBadDownloadQueryIs400(_ query: String) throws {
        let session = try MockSession()
        defer { session.finish() }
        let recorder = session.send("GET", "/_mock/download?" + query)
        #expect(recorder.status == 400)
        #expect(recorder.object?.string("error", "type") == "invalid_request_error")
        #expect(recorder.object?.string("error", "message")?.isEmpty == false)
    }
}
