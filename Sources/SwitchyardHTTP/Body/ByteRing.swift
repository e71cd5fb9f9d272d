/// A fixed-capacity FIFO of bytes in one allocation: the bounded buffer of a streamed request
/// body. Writers fill `writable` (the kernel's recv writes straight into it) and commit with
/// `didWrite`; readers take `readable` (or copy with `read(into:)`) and commit with `didRead`.
/// Both regions are contiguous, so each may be shorter than the ring's free or used bytes when
/// they wrap around the end.
///
/// It can grow (`grow(to:)`), so that a body's buffer takes memory only as it fills.
///
/// Ownership: the ring owns `storage`; its owner calls `deallocate()` exactly once.
struct ByteRing {
    private var storage: UnsafeMutableRawBufferPointer
    /// Offset of the first unread byte.
    private var start = 0
    private(set) var count = 0

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 16)
    }

    var capacity: Int { storage.count }
    var free: Int { storage.count - count }

    /// The unread bytes up to the end of the storage.
    var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage[start..<(start + min(count, storage.count - start))])
    }

    /// Free space after the unread bytes, up to the end of the storage or the unread start.
    var writable: UnsafeMutableRawBufferPointer {
        guard count < storage.count else { return UnsafeMutableRawBufferPointer(rebasing: storage[0..<0]) }
        let end = (start + count) % storage.count
        let limit = end >= start ? storage.count : start
        return UnsafeMutableRawBufferPointer(rebasing: storage[end..<limit])
    }

    mutating func didWrite(_ bytes: Int) {
        count += bytes
    }

    mutating func didRead(_ bytes: Int) {
        count -= bytes
        // Empty: start over at the front, so the next regions are as long as they can be.
        start = count == 0 ? 0 : (start + bytes) % storage.count
    }

    /// Copies in as much of `bytes` as fits; the number copied.
    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        var copied = 0
        while copied < bytes.count {
            let region = writable
            guard !region.isEmpty else { break }
            let take = min(region.count, bytes.count - copied)
            region.baseAddress!.copyMemory(from: bytes.baseAddress! + copied, byteCount: take)
            didWrite(take)
            copied += take
        }
        return copied
    }

    /// Copies out as many bytes as `buffer` holds or the ring has; the number copied.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var copied = 0
        while copied < buffer.count {
            let region = readable
            guard !region.isEmpty else { break }
            let take = min(region.count, buffer.count - copied)
            (buffer.baseAddress! + copied).copyMemory(from: region.baseAddress!, byteCount: take)
            didRead(take)
            copied += take
        }
        return copied
    }

    /// Moves the unread bytes into new storage of `newCapacity` bytes (more than now), at its
    /// front, and frees the old storage.
    mutating func grow(to newCapacity: Int) {
        precondition(newCapacity > storage.count)
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: newCapacity, alignment: 16)
        var copied = 0
        while copied < count {
            // At most two regions: up to the end of the storage, then from its front.
            let from = (start + copied) % storage.count
            let take = min(count - copied, storage.count - from)
            (larger.baseAddress! + copied).copyMemory(from: storage.baseAddress! + from, byteCount: take)
            copied += take
        }
        storage.deallocate()
        storage = larger
        start = 0
    }

    /// Drops every unread byte.
    mutating func removeAll() {
        start = 0
        count = 0
    }

    func deallocate() {
        storage.deallocate()
    }
}
