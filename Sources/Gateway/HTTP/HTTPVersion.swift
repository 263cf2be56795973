/// An HTTP protocol version as sent in a request line (`HTTP/1.1`).
///
/// Only HTTP/1.0 and HTTP/1.1 are served (RFC 9112); any other well-formed
/// version is answered with 505.
public struct HTTPVersion: Hashable, Sendable {
    /// The major version digit.
    public var major: UInt8
    /// The minor version digit.
    public var minor: UInt8

    /// Creates a version from its two digits.
    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    /// `HTTP/1.0`: connections close after each response unless the client asks for keep-alive.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// `HTTP/1.1`: connections stay open unless either side sends `Connection: close`.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)
}

extension HTTPVersion: CustomStringConvertible {
    /// The version as written on the wire, e.g. `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }
}
