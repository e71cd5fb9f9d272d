/// Removes `Transfer-Encoding: chunked` framing from a response body as it arrives, handing back
/// ranges of the caller's buffer (no copy of the data). Only a partial chunk-size or trailer
/// line is kept between reads, in a small carry buffer.
///
/// A value type with no I/O, fed by `PlainResponseReader`.
struct ChunkedBodyReader {
    enum Step: Equatable {
        case needMore
        case data(Range<Int>)
        case done
        case malformed(String)
    }

    private enum State {
        case size
        case data(remaining: Int)
        case dataCR
        case dataLF
        case trailers
        case done
    }

    private var state = State.size
    private var line: [UInt8] = []
    private static let maximumLineBytes = 4096
    private static let maximumTrailerBytes = 16 * 1024
    private var trailerBytes = 0

    /// Advances over `bytes` from `offset` and returns the next step.
    mutating func next(_ bytes: UnsafeRawBufferPointer, _ offset: inout Int) -> Step {
        while true {
            switch state {
            case .size, .trailers:
                guard let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else {
                    line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                    offset = bytes.count
                    return line.count > Self.maximumLineBytes ? .malformed("chunk framing line too long") : .needMore
                }
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<newline]))
                offset = newline + 1
                guard line.last == UInt8(ascii: "\r") else { return .malformed("bare LF in chunked framing") }
                line.removeLast()
                defer { line.removeAll(keepingCapacity: true) }
                if case .trailers = state {
                    trailerBytes += line.count + 2
                    if trailerBytes > Self.maximumTrailerBytes { return .malformed("trailer section too large") }
                    if line.isEmpty {
                        state = .done
                        return .done
                    }
                    continue
                }
                guard let size = Self.chunkSize(line) else { return .malformed("invalid chunk size") }
                state = size == 0 ? .trailers : .data(remaining: size)
            case .data(let remaining):
                guard offset < bytes.count else { return .needMore }
                let take = min(remaining, bytes.count - offset)
                let range = offset..<(offset + take)
                offset += take
                state = take == remaining ? .dataCR : .data(remaining: remaining - take)
                return .data(range)
            case .dataCR, .dataLF:
                guard offset < bytes.count else { return .needMore }
                let expected = { if case .dataCR = state { UInt8(ascii: "\r") } else { UInt8(ascii: "\n") } }()
                guard bytes[offset] == expected else { return .malformed("chunk data not followed by CRLF") }
                offset += 1
                if case .dataCR = state { state = .dataLF } else { state = .size }
            case .done:
                return .done
            }
        }
    }

    /// Hex size before any `;extension`, at most 15 digits (fits an Int).
    private static func chunkSize(_ line: [UInt8]) -> Int? {
        var size = 0
        var digits = 0
        for byte in line {
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = Int(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = Int(byte - UInt8(ascii: "A") + 10)
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                return digits > 0 ? size : nil
            default: return nil
            }
            digits += 1
            if digits > 15 { return nil }
            size = size << 4 | value
        }
        return digits > 0 ? size : nil
    }
}
