import SwitchyardPosix

/// The application behind the server. `respond` is called on the connection's event loop and
/// must eventually answer through the writer exactly once (`send`, or `startStream` ...
/// `finish`), then or later from the same loop.
public protocol HTTPResponder: AnyObject, Sendable {
    func respond(to request: HTTPRequest, writer: ResponseWriter)

    /// Asked on the loop once a request head with a body (Content-Length over 0, or chunked) is
    /// read: true to receive that body as it arrives (`HTTPRequest.bodyStream`, limited by
    /// `maxStreamedBodyBytes`) instead of whole (`HTTPRequest.body`, limited by `maxBodyBytes`).
    /// The request is then dispatched at once, and its response may start before the body has
    /// arrived. Keep it cheap: it runs for every request with a body. `loop`: the connection's
    /// (the caller's thread), where `respond` will run. Default: false.
    func streamsBody(method: String, target: String, headers: HTTPHeaders, loop: EventLoop) -> Bool
}

extension HTTPResponder {
    public func streamsBody(method: String, target: String, headers: HTTPHeaders, loop: EventLoop) -> Bool { false }
}
