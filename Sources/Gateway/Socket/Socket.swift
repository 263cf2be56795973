@preconcurrency import Glibc
import CLinux

/// Socket calls used by the gateway, the shard links and the load generator, each through
/// `Syscall`. Descriptors are non-blocking and close-on-exec.
public enum Socket {
    /// A listening TCP socket on `host:port` (IPv4 dotted quad); `reusePort` lets several
    /// loops share the port (SO_REUSEPORT).
    public static func listen(host: String, port: Int, backlog: Int32 = 4096, reusePort: Bool = false) throws(SystemError) -> Int32 {
        let fd = try Syscall.run("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do throws(SystemError) {
            try setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if reusePort { try setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1) }
            var addr = try ipv4Address(host: host, port: port)
            _ = try Syscall.run("bind") {
                withUnsafePointer(to: &addr) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
            }
            _ = try Syscall.run("listen") { Glibc.listen(fd, backlog) }
            return fd
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// The port a socket is bound to.
    public static func localPort(_ fd: Int32) throws(SystemError) -> Int {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try Syscall.run("getsockname") {
            withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Accepts one pending connection, non-blocking; nil when none is pending.
    public static func accept(_ listener: Int32) throws(SystemError) -> Int32? {
        while true {
            let fd = accept4(listener, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if fd >= 0 { return fd }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return nil
            // The peer gave up before we accepted: not an error of the listener.
            case ECONNABORTED, EPROTO: continue
            default: throw SystemError(call: "accept4", code: errno)
            }
        }
    }

    /// Starts a non-blocking TCP connect to `host:port`; the connection is ready when the
    /// descriptor becomes writable (then check `pendingError`).
    public static func connect(host: String, port: Int) throws(SystemError) -> Int32 {
        let fd = try Syscall.run("socket") {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        do throws(SystemError) {
            var addr = try ipv4Address(host: host, port: port)
            let result = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if result != 0 && errno != EINPROGRESS && errno != EINTR {
                throw SystemError(call: "connect", code: errno)
            }
            try? setNoDelay(fd)
            return fd
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// The error of a finished non-blocking connect (0 when it succeeded).
    public static func pendingError(_ fd: Int32) -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fd, SOL_SOCKET, SO_ERROR, &value, &length) != 0 { return errno }
        return value
    }

    /// Disables Nagle's algorithm.
    public static func setNoDelay(_ fd: Int32) throws(SystemError) {
        try setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
    }

    /// Sets an integer socket option.
    public static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        _ = try Syscall.run("setsockopt") { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Reads what is available into `buffer`.
    @inline(__always)
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult {
        try Syscall.io("recv") { recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// Writes `buffer`.
    @inline(__always)
    public static func write(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult {
        try Syscall.io("send") { send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes several buffers with one call.
    @inline(__always)
    public static func writev(_ fd: Int32, _ vectors: UnsafePointer<iovec>, count: Int32) throws(SystemError) -> IOResult {
        try Syscall.io("writev") { Glibc.writev(fd, vectors, count) }
    }

    /// Shuts down the writing half (after a close frame).
    public static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Closes with an immediate RST instead of FIN (SO_LINGER 0), for abusive peers.
    public static func abort(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Syscall.close(fd)
    }

    static func ipv4Address(host: String, port: Int) throws(SystemError) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(clamping: port).bigEndian
        let name = host == "localhost" ? "127.0.0.1" : host
        guard inet_pton(AF_INET, name, &addr.sin_addr) == 1 else {
            throw SystemError(call: "inet_pton(\(host))", code: EINVAL)
        }
        return addr
    }
}
