@testable import SwitchyardHTTP
import Testing

/// The streamed body's ring grows in place of a fixed buffer: the unread bytes must survive
/// the move in order, wherever they wrapped.
@Suite struct ByteRingTests {
    @Test(arguments: [0, 1, 5, 7]) func growingKeepsTheUnreadBytesInOrder(_ readFirst: Int) {
        var ring = ByteRing(capacity: 8)
        defer { ring.deallocate() }
        let first: [UInt8] = Array(0..<8)
        #expect(first.withUnsafeBytes { ring.write($0) } == 8)
        var sink = [UInt8](repeating: 0, count: readFirst)
        #expect(sink.withUnsafeMutableBytes { ring.read(into: $0) } == readFirst)
        // Refill what was read: the unread bytes now wrap around the end of the storage.
        let refill: [UInt8] = Array(8..<UInt8(8 + readFirst))
        #expect(refill.withUnsafeBytes { ring.write($0) } == readFirst)
        #expect(ring.free == 0)
        ring.grow(to: 20)
        #expect(ring.capacity == 20)
        #expect(ring.count == 8)
        #expect(ring.free == 12)
        let more: [UInt8] = Array(UInt8(8 + readFirst)..<UInt8(20 + readFirst))
        #expect(more.withUnsafeBytes { ring.write($0) } == 12)
        var all = [UInt8](repeating: 0, count: 20)
        #expect(all.withUnsafeMutableBytes { ring.read(into: $0) } == 20)
        #expect(all == Array(UInt8(readFirst)..<UInt8(20 + readFirst)))
    }
}
