/// What a pull from an `UpstreamBodySource` gave.
public enum UpstreamBodyRead: Equatable, Sendable {
    /// This many bytes were written into the buffer, at least 1.
    case bytes(Int)
    /// Nothing now; the source calls `onReadable` when there is.
    case wait
    /// Every byte has been read.
    case end
    /// The body cannot be had (the client's upload broke off): the exchange is abandoned.
    /// The reason is for the log and the error's `reason`.
    case failed(String)
}

/// A request body that arrives while the request is being sent: the transport pulls from it as
/// the upstream's socket takes bytes, and never holds more than one read's worth (64 KiB) of
/// it. Mirrors `RequestBodyStream` on the server side, so that forwarding a client's upload is
/// a thin adapter.
///
/// Contract: `read(into:)` answers `.bytes(n)` with `1...buffer.count` bytes written, `.wait`,
/// `.end` or `.failed`; after `.wait` the source calls `onReadable` once when a read would
/// answer something else. After `.end` or `.failed` the transport reads no more. A source with
/// a `length` must deliver exactly that many bytes before `.end`; the transport fails the
/// exchange otherwise (the framing it announced would be wrong).
///
/// Threading: confined to the loop of the `UpstreamClient` that sends it: `read`, `onReadable`
/// and its calls all happen there. (`Sendable` only so that it can ride in an `UpstreamRequest`;
/// implementations are loop-confined classes, typically `@unchecked Sendable`.) Lifetime: the
/// transport holds the source until the exchange ends, and sets `onReadable` to nil then.
public protocol UpstreamBodySource: AnyObject, Sendable {
    /// The body's length, sent as Content-Length; nil to send it chunked (or, over HTTP/2,
    /// unannounced).
    var length: Int? { get }
    /// Copies up to `buffer.count` bytes (never 0) of the body into `buffer`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> UpstreamBodyRead
    /// Set by the transport; called by the source, on the loop, when a read would no longer
    /// answer `.wait`. May be called from inside a transport callback or any time later; the
    /// transport tolerates extra calls.
    var onReadable: (() -> Void)? { get set }
}
