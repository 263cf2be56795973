@preconcurrency import Glibc
import Gateway

/// Unix domain stream sockets (AF_UNIX) for the control socket and `chatctl`, each call
/// through `Syscall`. The TCP side lives in `Gateway.Socket`; accept, read and write are
/// shared with it (they do not care about the address family).
public enum UnixSocket {
    /// The longest path `sockaddr_un.sun_path` holds, without its terminating zero.
    public static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// A new AF_UNIX stream socket, close-on-exec, non-blocking unless `blocking`.
    static func make(blocking: Bool) throws(SystemError) -> Int32 {
        var type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        if !blocking { type |= Int32(SOCK_NONBLOCK.rawValue) }
        return try Syscall.run("socket(AF_UNIX)") { socket(AF_UNIX, type, 0) }
    }

    /// Binds `fd` to `path`.
    static func bind(_ fd: Int32, path: String) throws(SystemError) {
        var address = try Self.address(path)
        _ = try Syscall.run("bind") {
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    /// Marks a bound socket as listening.
    static func listen(_ fd: Int32, backlog: Int32 = 64) throws(SystemError) {
        _ = try Syscall.run("listen") { Glibc.listen(fd, backlog) }
    }

    /// Connects a blocking client socket to `path`, with `timeoutSeconds` for the connect
    /// and every later read and write; the descriptor is the caller's to close. Throws with
    /// `ENOENT` (no such file), `ECONNREFUSED` (nobody listening: a stale file), `EACCES`
    /// (not allowed) or `EAGAIN` (a listener that does not accept) as the kernel says.
    public static func connect(path: String, timeoutSeconds: Int = 5) throws(SystemError) -> Int32 {
        let fd = try make(blocking: true)
        setTimeouts(fd, seconds: timeoutSeconds)
        do throws(SystemError) {
            var address = try Self.address(path)
            _ = try Syscall.run("connect") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                    }
                }
            }
            return fd
        } catch {
            Syscall.close(fd)
            throw error
        }
    }

    /// Sets send and receive timeouts on a blocking socket (`SO_SNDTIMEO`, `SO_RCVTIMEO`).
    public static func setTimeouts(_ fd: Int32, seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        let size = socklen_t(MemoryLayout<timeval>.size)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size)
    }

    /// Writes all of `bytes` to a blocking socket.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let result: IOResult
            do {
                result = try bytes.withUnsafeBytes { raw in try Socket.write(fd, UnsafeRawBufferPointer(rebasing: raw[offset...])) }
            } catch let error as SystemError {
                throw error
            } catch {
                throw SystemError(call: "send", code: EIO)
            }
            switch result {
            case .done(let count): offset += count
            case .wouldBlock: throw SystemError(call: "send", code: EAGAIN)
            }
        }
    }

    /// `sockaddr_un` for `path`; `ENAMETOOLONG` when it does not fit.
    static func address(_ path: String) throws(SystemError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maxPathBytes, !bytes.contains(0) else {
            throw SystemError(call: "sockaddr_un(\(path))", code: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
            raw[bytes.count] = 0
        }
        return address
    }
}
