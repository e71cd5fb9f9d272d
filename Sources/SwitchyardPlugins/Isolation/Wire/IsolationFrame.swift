/// One message between the gateway and a plugin runner (docs/plugin-isolation.md, "Wire").
///
/// Layout, little-endian: `u32 length` (of everything after it: 9 + payload), `u8 type`,
/// `u64 call` (the call it belongs to: 0 for messages of no call), then the payload, whose fields
/// `WireWriter` / `WireReader` encode. Binary on purpose: a stream chunk costs a memcpy, not a
/// JSON escape and parse.
struct IsolationFrame: Equatable {
    var type: IsolationMessage
    var call: UInt64
    var payload: [UInt8]

    /// Type and call id, after the length.
    static let headerBytes = 9
    /// A frame larger than this is refused: a payload never needs it (request bodies are bounded
    /// by the server's limits far below), and a corrupt length must not make anyone allocate 4 GiB.
    static let maximumBytes = 64 << 20
    /// The limit for frames from a runner (its replies, recorded output included), lower: the
    /// gateway holds a reply two or three times over while replaying it, and a runner runs
    /// untrusted code. A runner answers a larger output with an error instead.
    static let maximumReplyBytes = 16 << 20

    /// The frame as sent: length prefix, header, payload.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4 + Self.headerBytes + payload.count)
        appendLittleEndian(UInt32(Self.headerBytes + payload.count), to: &bytes)
        bytes.append(type.rawValue)
        appendLittleEndian(call, to: &bytes)
        bytes += payload
        return bytes
    }
}

/// What a frame is. Gateway → runner: the hooks and lifecycle; runner → gateway: the hello, the
/// replies, and what a plugin sends on its own (logs, metric records).
enum IsolationMessage: UInt8, CaseIterable {
    // runner → gateway
    case hello = 1          // negotiation done: id, version, manifest, flags, minors
    case reply = 2          // the answer to one call (status, error, recorded host calls)
    case log = 3            // a plugin log line
    case metric = 4         // a metric record
    case verdict = 5        // a guardrail's verdict (inspect returned or resumed)
    // gateway → runner
    case instanceNew = 16
    case prepare = 17
    case generate = 18
    case begin = 19
    case data = 20
    case end = 21
    case stateFree = 22     // no reply
    case inspect = 23       // answered by `verdict`
    case callEnd = 24       // no reply
    case cancel = 25        // no reply: the client of the call with this id has gone
}

enum FrameError: Error, Equatable, CustomStringConvertible {
    /// The stream ended inside a frame (`have` of `need` bytes).
    case truncated(have: Int, need: Int)
    case oversize(Int, limit: Int)
    /// A length below the header's size.
    case undersize(Int)
    case unknownType(UInt8)

    var description: String {
        switch self {
        case .truncated(let have, let need): "the stream ended inside a frame (\(have) of \(need) bytes)"
        case .oversize(let length, let limit): "frame of \(length) bytes is larger than the \(limit) allowed"
        case .undersize(let length): "frame length \(length) is smaller than its header"
        case .unknownType(let type): "unknown frame type \(type)"
        }
    }
}

/// Cuts frames out of a byte stream read in arbitrary pieces. One reader thread at a time.
struct FrameDecoder {
    private var buffer: [UInt8] = []
    private var start = 0
    /// The largest frame taken (length prefix excluded).
    let maximumBytes: Int

    init(maximumBytes: Int = IsolationFrame.maximumBytes) {
        self.maximumBytes = maximumBytes
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        // Compact before growing: the buffer never holds more than one partial frame plus a read.
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next whole frame, nil when more bytes are needed; throws on a frame that can never be
    /// valid (the stream is then unusable: the caller closes it).
    mutating func next() throws(FrameError) -> IsolationFrame? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(readLittleEndian(UInt32.self, buffer, at: start))
        guard length >= IsolationFrame.headerBytes else { throw .undersize(length) }
        guard length <= maximumBytes else { throw .oversize(length, limit: maximumBytes) }
        guard available >= 4 + length else { return nil }
        let typeByte = buffer[start + 4]
        guard let type = IsolationMessage(rawValue: typeByte) else { throw .unknownType(typeByte) }
        let call = readLittleEndian(UInt64.self, buffer, at: start + 5)
        let payload = Array(buffer[(start + 4 + IsolationFrame.headerBytes)..<(start + 4 + length)])
        start += 4 + length
        return IsolationFrame(type: type, call: call, payload: payload)
    }

    /// At the end of the stream: an error when a frame was cut short.
    func finish() throws(FrameError) {
        let available = buffer.count - start
        guard available > 0 else { return }
        let need = available >= 4 ? 4 + Int(readLittleEndian(UInt32.self, buffer, at: start)) : 4
        throw .truncated(have: available, need: need)
    }
}

@inline(__always)
func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

@inline(__always)
func readLittleEndian<T: FixedWidthInteger>(_ type: T.Type, _ bytes: [UInt8], at offset: Int) -> T {
    var value = T.zero
    withUnsafeMutableBytes(of: &value) { raw in
        bytes.withUnsafeBytes { source in raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<(offset + MemoryLayout<T>.size)])) }
    }
    return T(littleEndian: value)
}
