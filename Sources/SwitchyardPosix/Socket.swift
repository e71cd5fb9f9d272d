import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Socket helpers over Glibc: listening sockets, accept, options.
public enum Socket {
    /// A non-blocking TCP listener on `address`. SO_REUSEADDR (restart while old connections sit
    /// in TIME_WAIT) but not SO_REUSEPORT: a port some other socket listens on, another
    /// Switchyard's included, fails with EADDRINUSE instead of being shared silently. The
    /// server's event loops share this one socket (EPOLLEXCLUSIVE).
    public static func listen(_ address: SocketAddress, backlog: Int32 = 1024) throws(IOError) -> Int32 {
        let fd = try syscall("socket") { socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0) }
        do throws(IOError) {
            var one: Int32 = 1
            try syscall("setsockopt(SO_REUSEADDR)") { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) }
            if address.family == AF_INET6 {
                // `::` means IPv6 only; list 0.0.0.0 as well to take IPv4 (no mapped addresses).
                try syscall("setsockopt(IPV6_V6ONLY)") { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
            }
            try syscall("bind(\(address))") { address.withSockaddr { bind(fd, $0, $1) } }
            try syscall("listen(\(address))") { Glibc.listen(fd, backlog) }
            return fd
        } catch {
            close(fd)
            throw error
        }
    }

    public enum Accepted {
        case connection(Int32)
        /// Nothing pending.
        case none
        /// The process or system is out of descriptors or memory (EMFILE, ENFILE, ENOBUFS,
        /// ENOMEM): the connection waits in the backlog, and the listener stays readable, so
        /// the caller must stop watching it for a while or it spins.
        case exhausted(IOError)
    }

    /// Accepts one pending connection as a non-blocking socket with TCP_NODELAY.
    public static func accept(_ listener: Int32) -> Accepted {
        while true {
            let fd = accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
            if fd >= 0 {
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return .connection(fd)
            }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM: return .exhausted(IOError("accept"))
            default: return .none
            }
        }
    }
}
