/// W3C Trace Context (https://www.w3.org/TR/trace-context/) for the upstream requests of one
/// client request: the client's trace continued when its `traceparent` is valid (same trace id
/// and flags, `tracestate` forwarded unchanged), else a new trace. Each upstream try is a span
/// of the gateway's: its `traceparent` carries a new parent id.
///
/// A value built on the request's loop; ids come from the loop's `LoopRandom`.
struct TraceContext: Sendable {
    /// 32 lowercase hex digits, not all zero.
    let traceID: String
    /// 2 lowercase hex digits: the client's, or `01` (sampled: the access log records the
    /// trace id) for a trace the gateway starts.
    let flags: String
    /// The client's `tracestate`, only when its `traceparent` was valid.
    let state: String?

    init(traceID: String, flags: String, state: String?) {
        self.traceID = traceID
        self.flags = flags
        self.state = state
    }

    /// From the client's headers: continued when `traceparent` is valid, else started afresh
    /// (a malformed one is dropped, and its `tracestate` with it, as the spec asks).
    init(traceparent: String?, tracestate: String?, random: inout some RandomNumberGenerator) {
        if let traceparent, let parsed = Self.parse(traceparent) {
            self.init(traceID: parsed.traceID, flags: parsed.flags, state: tracestate.flatMap { $0.isEmpty ? nil : $0 })
        } else {
            var high = random.next()
            let low = random.next()
            if high == 0 && low == 0 { high = 1 }  // all-zero is invalid
            let traceID = String(unsafeUninitializedCapacity: 32) { buffer in
                Self.writeHex(high, into: buffer, at: 0)
                Self.writeHex(low, into: buffer, at: 16)
                return 32
            }
            self.init(traceID: traceID, flags: "01", state: nil)
        }
    }

    /// The `traceparent` of one upstream try: version 00, this trace, a new span id.
    func traceparent(random: inout some RandomNumberGenerator) -> String {
        var span = random.next()
        if span == 0 { span = 1 }
        // One allocation: "00-" trace "-" span "-" flags.
        return String(unsafeUninitializedCapacity: 55) { buffer in
            buffer[0] = 0x30
            buffer[1] = 0x30
            buffer[2] = 0x2D
            var id = traceID  // 32 ASCII bytes by construction; copied at once
            id.withUTF8 { bytes in
                guard bytes.count == 32, let base = buffer.baseAddress, let source = bytes.baseAddress else { return }
                (base + 3).update(from: source, count: 32)
            }
            buffer[35] = 0x2D
            Self.writeHex(span, into: buffer, at: 36)
            buffer[52] = 0x2D
            buffer[53] = flags.utf8.first ?? 0x30
            buffer[54] = flags.utf8.last ?? 0x30
            return 55
        }
    }

    /// `version-traceid-parentid-flags`. Version 00: exactly 55 characters. A later version
    /// (not `ff`) may append fields after a "-"; its first four are read as 00's. Lowercase
    /// hex only; trace id and parent id not all zero.
    static func parse(_ value: String) -> (traceID: String, flags: String)? {
        let bytes = Array(value.utf8)
        guard bytes.count >= 55, isHex(bytes[0..<2]) else { return nil }
        let version = bytes[0..<2]
        if version.elementsEqual("ff".utf8) { return nil }
        if version.elementsEqual("00".utf8) {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55, bytes[55] != UInt8(ascii: "-") {
            return nil
        }
        guard bytes[2] == UInt8(ascii: "-"), bytes[35] == UInt8(ascii: "-"), bytes[52] == UInt8(ascii: "-"),
              isHex(bytes[3..<35]), isHex(bytes[36..<52]), isHex(bytes[53..<55]),
              !bytes[3..<35].allSatisfy({ $0 == UInt8(ascii: "0") }), !bytes[36..<52].allSatisfy({ $0 == UInt8(ascii: "0") })
        else { return nil }
        return (String(decoding: bytes[3..<35], as: UTF8.self), String(decoding: bytes[53..<55], as: UTF8.self))
    }

    private static func isHex(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// 16 lowercase hex digits, leading zeros kept.
    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            writeHex(value, into: buffer, at: 0)
            return 16
        }
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        for index in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - index * 4)) & 0xF
            buffer[start + index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        }
    }
}
