/// A command's arguments laid out the way `redisAsyncCommandArgv` takes them: one buffer of
/// bytes, a pointer and a length per argument. Binary safe (no NUL termination is relied on).
/// hiredis copies the arguments into its output buffer before returning, so the layout only
/// lives for the call.
enum RedisArguments {
    static func withArgv<Result>(_ arguments: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafeMutablePointer<Int>) -> Result) -> Result {
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(0) { $0 + $1.count } + 1)
        for argument in arguments { joined.append(contentsOf: argument) }
        joined.append(0)  // never empty: a valid base pointer even when every argument is
        let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: max(arguments.count, 1))
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: max(arguments.count, 1))
        defer {
            pointers.deallocate()
            lengths.deallocate()
        }
        return joined.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
            var offset = 0
            for (index, argument) in arguments.enumerated() {
                pointers[index] = base + offset
                lengths[index] = argument.count
                offset += argument.count
            }
            return body(Int32(arguments.count), pointers, lengths)
        }
    }
}
