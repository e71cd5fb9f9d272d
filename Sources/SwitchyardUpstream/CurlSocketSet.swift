import CCurl
import SwitchyardPosix

/// The sockets curl asked us to watch, mirrored into the event loop's epoll set.
///
/// curl reports each socket's wanted direction through CURLMOPT_SOCKETFUNCTION (IN, OUT, INOUT,
/// REMOVE); REMOVE always comes before curl closes the socket, so an fd number is never confused
/// with a later socket of the same number. Indexed by fd: no hashing on the hot path.
///
/// Threading: the client's loop.
struct CurlSocketSet {
    private var watched: [Bool] = []
    private(set) var count = 0

    mutating func update(fd: Int32, what: Int32, loop: EventLoop, handler: IOHandler) {
        let index = Int(fd)
        let known = index < watched.count && watched[index]
        if what == CURL_POLL_REMOVE {
            guard known else { return }
            loop.unregister(fd: fd)
            watched[index] = false
            count -= 1
            return
        }
        var events: IOEvents = []
        if what == CURL_POLL_IN || what == CURL_POLL_INOUT { events.insert(.readable) }
        if what == CURL_POLL_OUT || what == CURL_POLL_INOUT { events.insert(.writable) }
        if known {
            if (try? loop.modify(fd: fd, events: events)) != nil { return }
            loop.unregister(fd: fd)  // epoll lost it (closed behind our back): register anew below
            watched[index] = false
            count -= 1
        }
        do {
            try loop.register(fd: fd, events: events, handler: handler)
        } catch {
            // EEXIST: registered under another owner's name: take it over.
            loop.unregister(fd: fd)
            guard (try? loop.register(fd: fd, events: events, handler: handler)) != nil else { return }
        }
        if index >= watched.count { watched.append(contentsOf: repeatElement(false, count: index - watched.count + 64)) }
        watched[index] = true
        count += 1
    }

    mutating func unregisterAll(from loop: EventLoop) {
        for (index, isWatched) in watched.enumerated() where isWatched { loop.unregister(fd: Int32(index)) }
        watched.removeAll()
        count = 0
    }
}
