import CHiredis

/// One reply from Redis, copied out of hiredis's reply tree (hiredis frees its tree as soon as the
/// reply callback returns).
public enum RedisReply: Sendable, Equatable {
    case integer(Int64)
    /// A bulk string: binary safe.
    case bulk([UInt8])
    /// A status line (`+OK`).
    case status(String)
    /// An error reply (`-ERR …`, `-NOSCRIPT …`): Redis answered, the command failed.
    case error(String)
    case array([RedisReply])
    /// The nil bulk or nil array (`GET` of a missing key).
    case null

    init(_ reply: UnsafePointer<redisReply>) {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_INTEGER:
            self = .integer(Int64(value.integer))
        case REDIS_REPLY_STRING:
            self = .bulk(Self.bytes(value))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(value), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(value), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(RedisReply(element)) } else { elements.append(.null) }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func bytes(_ value: redisReply) -> [UInt8] {
        guard let str = value.str, value.len > 0 else { return [] }
        return str.withMemoryRebound(to: UInt8.self, capacity: value.len) { Array(UnsafeBufferPointer(start: $0, count: value.len)) }
    }

    /// A bulk or status reply as text (UTF-8, invalid bytes replaced); nil otherwise.
    public var text: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    /// An integer reply, or a bulk holding a decimal integer (what `GET` of a counter answers).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .bulk(let bytes): Int64(String(decoding: bytes, as: UTF8.self))
        default: nil
        }
    }

    public var isError: Bool { if case .error = self { true } else { false } }
}

/// Why a command got no reply from Redis. A Redis error reply is not a failure: it is
/// `RedisReply.error`.
public enum RedisFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// This loop's connection is not up; the command was not sent. The reason it went down.
    case unavailable(String)
    /// No reply within `timeout`; the connection is dropped (and reconnects) because a late
    /// reply would answer the wrong command.
    case timeout(milliseconds: Int)
    /// The connection went down while the command waited for its reply.
    case connectionLost(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "redis unavailable: \(reason)"
        case .timeout(let milliseconds): "redis command timed out after \(milliseconds) ms"
        case .connectionLost(let reason): "redis connection lost: \(reason)"
        }
    }
}
