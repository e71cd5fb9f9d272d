#if canImport(Glibc)
import Glibc
#endif

/// Names to label ids, read on the request path: an immutable open-addressing table over the
/// names' UTF-8 bytes with FNV-1a, so a lookup is one short hash and one compare (a `[String: _]`
/// costs a SipHash of the string, several times that, and the request path pays it per request).
///
/// Threading: immutable after init; any thread reads it.
struct MetricNameTable: Sendable {
    /// Per slot: 0 empty, else index + 1 into `names`/`ids`. A power of two, at most half full.
    private let slots: [UInt32]
    private let names: [[UInt8]]
    private let ids: [UInt16]

    init(_ pairs: [String: UInt16]) {
        var size = 4
        while size < pairs.count * 2 { size *= 2 }
        var slots = [UInt32](repeating: 0, count: size)
        var names: [[UInt8]] = []
        var ids: [UInt16] = []
        for (name, id) in pairs.sorted(by: { $0.value < $1.value }) {
            let bytes = Array(name.utf8)
            var index = bytes.withUnsafeBufferPointer { Int(truncatingIfNeeded: Self.hash($0)) } & (size - 1)
            while slots[index] != 0 { index = (index + 1) & (size - 1) }
            names.append(bytes)
            ids.append(id)
            slots[index] = UInt32(names.count)
        }
        self.slots = slots
        self.names = names
        self.ids = ids
    }

    /// The id of `name`, or nil when the table does not hold it.
    @inline(__always)
    func id(_ name: String) -> UInt16? {
        if let found = name.utf8.withContiguousStorageIfAvailable({ find($0) }) { return found }
        return Array(name.utf8).withUnsafeBufferPointer { find($0) }
    }

    private func find(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt16? {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: Self.hash(bytes)) & mask
        while true {
            let entry = Int(slots[index])
            if entry == 0 { return nil }
            let candidate = names[entry - 1]
            if candidate.count == bytes.count,
               candidate.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                return ids[entry - 1]
            }
            index = (index + 1) & mask
        }
    }

    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash ^ (hash >> 29)
    }
}
