/// The application behind the server. `respond` is called on the connection's event loop and
/// must eventually answer through the writer exactly once (`send`, or `startStream` ...
/// `finish`), then or later from the same loop.
public protocol HTTPResponder: AnyObject, Sendable {
    func respond(to request: HTTPRequest, writer: ResponseWriter)
}
