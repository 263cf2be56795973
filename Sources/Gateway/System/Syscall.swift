@preconcurrency import Glibc
import CLinux

/// A failed system call: its name and `errno`.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    /// The call that failed, e.g. `accept4`.
    public let call: String
    /// The `errno` it left.
    public let code: Int32

    /// A failure of `call` with `code`.
    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    public var description: String {
        "\(call): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// The outcome of a non-blocking read or write.
public enum IOResult: Equatable, Sendable {
    /// This many bytes moved (0 on read means end of stream).
    case done(Int)
    /// The call would block (EAGAIN / EWOULDBLOCK).
    case wouldBlock
}

/// The one wrapper every system call goes through: EINTR retried, EAGAIN mapped to
/// `.wouldBlock` for I/O, every other failure thrown with the call's name.
public enum Syscall {
    /// Runs a call returning an `Int32` status or descriptor (-1 on failure).
    @inline(__always)
    public static func run(_ name: StaticString, _ body: () -> Int32) throws(SystemError) -> Int32 {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemError(call: String(describing: name), code: code)
        }
    }

    /// Runs a non-blocking I/O call returning a byte count (`ssize_t`, -1 on failure).
    @inline(__always)
    public static func io(_ name: StaticString, _ body: () -> Int) throws(SystemError) -> IOResult {
        while true {
            let result = body()
            if result >= 0 { return .done(result) }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
            throw SystemError(call: String(describing: name), code: code)
        }
    }

    /// Closes a descriptor; errors other than EINTR are ignored (the descriptor is gone).
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
