/// The fields of a frame's payload: fixed-width little-endian integers, doubles as their bits,
/// byte strings as `u32 length` + bytes. Both sides write and read the same sequence for a
/// message type; a payload that ends early is refused (`WireReader.Truncated`), never read past.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { appendLittleEndian(value, to: &bytes) }
    mutating func i32(_ value: Int32) { appendLittleEndian(value, to: &bytes) }
    mutating func u64(_ value: UInt64) { appendLittleEndian(value, to: &bytes) }
    mutating func f64(_ value: Double) { appendLittleEndian(value.bitPattern, to: &bytes) }

    mutating func data(_ value: UnsafeRawBufferPointer) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func data(_ value: [UInt8]) { value.withUnsafeBytes { data($0) } }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { data(UnsafeRawBufferPointer($0)) }
    }
}

struct WireReader {
    struct Truncated: Error {}

    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ count: Int) throws(Truncated) -> Int {
        guard count >= 0, bytes.count - offset >= count else { throw Truncated() }
        defer { offset += count }
        return offset
    }

    mutating func u8() throws(Truncated) -> UInt8 { bytes[try take(1)] }
    mutating func u32() throws(Truncated) -> UInt32 { readLittleEndian(UInt32.self, bytes, at: try take(4)) }
    mutating func i32() throws(Truncated) -> Int32 { readLittleEndian(Int32.self, bytes, at: try take(4)) }
    mutating func u64() throws(Truncated) -> UInt64 { readLittleEndian(UInt64.self, bytes, at: try take(8)) }
    mutating func f64() throws(Truncated) -> Double { Double(bitPattern: readLittleEndian(UInt64.self, bytes, at: try take(8))) }

    mutating func data() throws(Truncated) -> [UInt8] {
        let count = Int(try u32())
        let at = try take(count)
        return Array(bytes[at..<(at + count)])
    }

    mutating func string() throws(Truncated) -> String { String(decoding: try data(), as: UTF8.self) }
}
