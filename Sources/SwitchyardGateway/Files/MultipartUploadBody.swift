import SwitchyardUpstream

/// An upload's multipart body as the transport pulls it: the writer's head, then the file's
/// bytes from `file` (with its backpressure: a `.wait` from it is the transport's `.wait`), then
/// the tail. Holds nothing of the file: each read goes straight into the transport's buffer.
///
/// Threading: loop-confined (the transport's loop), like every body source. Lifetime: the
/// transport's, until the exchange ends.
final class MultipartUploadBody: UpstreamBodySource, @unchecked Sendable {
    private let head: [UInt8]
    private let tail: [UInt8]
    private let file: any UpstreamBodySource
    private var headSent = 0
    private var tailSent = 0
    private var fileDone = false

    init(writer: MultipartWriter, fields: [(name: String, value: String)], filename: String, contentType: String, file: any UpstreamBodySource) {
        head = writer.head(fields: fields, filename: filename, contentType: contentType)
        tail = writer.tail
        self.file = file
        file.onReadable = { [weak self] in self?.onReadable?() }
    }

    /// Known when the file's length is.
    var length: Int? { file.length.map { head.count + $0 + tail.count } }

    var onReadable: (() -> Void)?

    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead {
        if headSent < head.count { return .bytes(copy(head, from: &headSent, into: buffer)) }
        if !fileDone {
            switch file.read(into: buffer) {
            case .bytes(let count): return .bytes(count)
            case .wait: return .wait
            case .failed(let reason): return .failed(reason)
            case .end: fileDone = true
            }
        }
        if tailSent < tail.count { return .bytes(copy(tail, from: &tailSent, into: buffer)) }
        return .end
    }

    private func copy(_ bytes: [UInt8], from offset: inout Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(bytes.count - offset, buffer.count)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
        offset += count
        return count
    }
}
