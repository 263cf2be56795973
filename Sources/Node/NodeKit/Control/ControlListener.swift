@preconcurrency import Glibc
import Gateway

/// Why the control socket could not be opened.
public enum ControlSocketError: Error, Equatable, CustomStringConvertible {
    /// Another node answers on the socket: two nodes must not share one.
    case inUse(path: String)
    /// Something other than a socket is at the path; it is left alone.
    case notASocket(path: String)
    /// A system call failed (the parent folder cannot be made, no permission, ...).
    case system(path: String, SystemError)

    public var description: String {
        switch self {
        case .inUse(let path):
            return "another chat-node is running with the control socket \(path)"
                + " (stop it, or give this node its own CONTROL_SOCKET)"
        case .notASocket(let path):
            return "CONTROL_SOCKET \(path) exists and is not a socket; not touching it"
        case .system(let path, let error):
            return "cannot open the control socket \(path): \(error)"
        }
    }
}

/// The listening control socket: bound with mode 0600 in a folder made 0700 when it was
/// missing, replacing a stale socket file left by a crashed node but never a live one.
///
/// ```
/// path exists? ── no ──────────────────────────────> bind
///      └─ yes: a socket? ── no ──> refuse (notASocket)
///                └─ yes: connect ── answers ──> refuse (inUse)
///                          └─ refused/missing ──> unlink, bind
/// bind ──> chmod 0600 ──> listen      (nobody can connect before listen)
/// ```
public final class ControlListener: Sendable {
    /// The socket's path.
    public let path: String
    /// The listening descriptor (non-blocking); valid until `close()`.
    public let fd: Int32
    private let device: UInt64
    private let inode: UInt64

    /// Opens the control socket at `path`.
    public init(path: String) throws(ControlSocketError) {
        self.path = path
        do throws(SystemError) {
            try Self.makeParent(of: path)
        } catch {
            throw .system(path: path, error)
        }
        try Self.removeStale(path)
        let fd: Int32
        do throws(SystemError) {
            fd = try UnixSocket.make(blocking: false)
        } catch {
            throw .system(path: path, error)
        }
        do throws(SystemError) {
            try UnixSocket.bind(fd, path: path)
            _ = try Syscall.run("chmod") { chmod(path, 0o600) }
            try UnixSocket.listen(fd)
            var info = stat()
            _ = try Syscall.run("stat") { stat(path, &info) }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        } catch {
            Syscall.close(fd)
            if error.code == EADDRINUSE { throw .inUse(path: path) }
            throw .system(path: path, error)
        }
        self.fd = fd
    }

    /// Closes the socket and removes its file, unless another node has replaced it since.
    public func close() {
        Syscall.close(fd)
        var info = stat()
        if stat(path, &info) == 0, UInt64(info.st_dev) == device, UInt64(info.st_ino) == inode {
            unlink(path)
        }
    }

    /// Creates missing folders above `path` with mode 0700; existing ones are left as they are.
    static func makeParent(of path: String) throws(SystemError) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        components.removeLast()
        var current = path.hasPrefix("/") ? "" : "."
        for component in components where !component.isEmpty {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw SystemError(call: "mkdir(\(current))", code: errno)
            }
        }
    }

    /// Removes a socket file nobody listens on; refuses when a node answers on it or when
    /// the path is not a socket.
    static func removeStale(_ path: String) throws(ControlSocketError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path: path) }
        let probe: Int32
        do throws(SystemError) {
            probe = try UnixSocket.connect(path: path, timeoutSeconds: 2)
        } catch where error.code == ECONNREFUSED || error.code == ENOENT {
            // Nobody listens: a crashed node's leftover.
            if unlink(path) != 0 && errno != ENOENT {
                throw .system(path: path, SystemError(call: "unlink", code: errno))
            }
            return
        } catch where error.code == EAGAIN {
            throw .inUse(path: path)  // a listener that is slow to accept is still alive
        } catch {
            throw .system(path: path, error)
        }
        Syscall.close(probe)
        throw .inUse(path: path)
    }
}
