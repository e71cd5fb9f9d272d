/// Decodes a `Transfer-Encoding: chunked` body as it arrives (RFC 9112 §7.1): chunk-size line
/// (hex, optional extensions), data, CRLF; a zero-size chunk, trailer fields (read and dropped),
/// and a blank line end it. A value-type state machine: feed it bytes, it appends body data and
/// reports how far it got (`feed`), or steps to the next range of body data (`next`).
struct ChunkedDecoder {
    enum State: Equatable {
        case size
        case data(remaining: Int)
        case dataEnd
        case trailers
        case done
    }

    enum Progress: Equatable {
        case needMore(consumed: Int)
        case done(consumed: Int)
        case failure(HTTPParseError)
    }

    static let maximumLineBytes = 4096

    private(set) var state: State = .size
    private var trailerBytes = 0
    let maxBodyBytes: Int
    let maxTrailerBytes: Int

    init(maxBodyBytes: Int, maxTrailerBytes: Int) {
        self.maxBodyBytes = maxBodyBytes
        self.maxTrailerBytes = maxTrailerBytes
    }

    /// One step of decoding, for a caller that stores body data itself (a streamed body, into a
    /// bounded buffer).
    enum Step: Equatable {
        case needMore
        /// Body data at this range of the bytes passed in.
        case data(Range<Int>)
        case done
        case failure(HTTPParseError)
    }

    /// Body bytes decoded so far (what the size limit counts).
    private(set) var decodedBytes = 0

    /// Decodes `bytes`, appending body data to `body` (the buffered path).
    mutating func feed(_ bytes: UnsafeRawBufferPointer, into body: inout [UInt8]) -> Progress {
        var offset = 0
        while true {
            switch next(bytes, from: &offset, maxData: .max) {
            case .needMore: return .needMore(consumed: offset)
            case .data(let range): body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
            case .done: return .done(consumed: offset)
            case .failure(let error): return .failure(error)
            }
        }
    }

    /// Advances `offset` over framing until it reaches body data (at most `maxData` bytes of it),
    /// needs more bytes, ends, or fails. `maxData` may be 0 (a streamed body's buffer is full):
    /// framing is still stepped over and the data waits, answered as `.needMore`. Bytes before `offset` are consumed;
    /// a `.needMore` leaves at `offset` the start of an incomplete line to be fed again.
    mutating func next(_ bytes: UnsafeRawBufferPointer, from offset: inout Int, maxData: Int) -> Step {
        while true {
            switch state {
            case .size:
                // The line limit holds however the bytes were split into reads: an unterminated
                // line may hold one more byte (its CR).
                guard let lineEnd = crlf(bytes, from: offset) else {
                    if bytes.count - offset > Self.maximumLineBytes + 1 { return .failure(.bad("Chunk size line too long.")) }
                    return .needMore
                }
                if lineEnd < 0 { return .failure(.bad("Bare LF in chunked framing.")) }
                if lineEnd - offset > Self.maximumLineBytes { return .failure(.bad("Chunk size line too long.")) }
                guard let size = parseSize(UnsafeRawBufferPointer(rebasing: bytes[offset..<lineEnd])) else {
                    return .failure(.bad("Invalid chunk size."))
                }
                offset = lineEnd + 2
                if size == 0 { state = .trailers; continue }
                if size > maxBodyBytes - decodedBytes {
                    return .failure(HTTPParseError(status: 413, code: "body_too_large", message: "Request body is larger than the limit of \(maxBodyBytes) bytes."))
                }
                decodedBytes += size
                state = .data(remaining: size)
            case .data(let remaining):
                let take = min(remaining, bytes.count - offset, maxData)
                guard take > 0 else { return .needMore }
                let range = offset..<(offset + take)
                offset += take
                state = take < remaining ? .data(remaining: remaining - take) : .dataEnd
                return .data(range)
            case .dataEnd:
                guard bytes.count - offset >= 2 else { return .needMore }
                guard bytes[offset] == 13, bytes[offset + 1] == 10 else { return .failure(.bad("Chunk data not followed by CRLF.")) }
                offset += 2
                state = .size
            case .trailers:
                guard let lineEnd = crlf(bytes, from: offset) else {
                    if trailerBytes + bytes.count - offset > maxTrailerBytes { return .failure(.bad("Trailer section too large.")) }
                    return .needMore
                }
                if lineEnd < 0 { return .failure(.bad("Bare LF in chunked trailers.")) }
                trailerBytes += lineEnd - offset + 2
                if trailerBytes > maxTrailerBytes { return .failure(.bad("Trailer section too large.")) }
                let empty = lineEnd == offset
                if !empty {
                    // Dropped, but held to the same grammar as header fields (no bare CR, no folding).
                    do { _ = try RequestHeadParser.parseField(UnsafeRawBufferPointer(rebasing: bytes[offset..<lineEnd])) } catch {
                        return .failure(.bad("Invalid trailer field."))
                    }
                }
                offset = lineEnd + 2
                if empty { state = .done; return .done }
            case .done:
                return .done
            }
        }
    }

    /// Offset of the next CRLF, -1 for a bare LF, nil when more bytes are needed.
    private func crlf(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == 13 && bytes[index + 1] == 10 { return index }
            if bytes[index] == 10 { return -1 }  // bare LF
            index += 1
        }
        return nil
    }

    /// `1*HEXDIG [BWS ";" extensions]` (RFC 9112 §7.1.1), at most 15 digits. Extensions are
    /// ignored but may hold only tab, space and visible bytes: `5 6` or a bare CR is refused,
    /// not read as 5 (a front end that reads it otherwise would frame the body differently).
    private func parseSize(_ line: UnsafeRawBufferPointer) -> Int? {
        var value = 0
        var index = 0
        while index < line.count, let digit = Self.hexValue(line[index]) {
            guard index < 15 else { return nil }
            value = value * 16 + digit
            index += 1
        }
        guard index > 0 else { return nil }
        while index < line.count, line[index] == 0x20 || line[index] == 0x09 { index += 1 }
        guard index < line.count else { return value }
        guard line[index] == UInt8(ascii: ";") else { return nil }
        return line[(index + 1)...].allSatisfy { $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) } ? value : nil
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
