/// Limits of `HTTPRequestParser`.
public struct HTTPParserConfiguration: Hashable, Sendable {
    /// Most bytes of request line plus header fields, including line endings and any
    /// empty lines before the request line (default 8 KiB). Over it: 414 when the
    /// request line itself has not ended, 431 otherwise.
    public var maxHeadBytes: Int
    /// Most header field lines (default 100). Over it: 431.
    public var maxHeaderCount: Int
    /// Largest `Content-Length` accepted (default 0). A body within it is read and
    /// discarded before the request is returned; over it: 413.
    public var maxBodyBytes: Int
    /// Whether HTTP/1.1 requests must carry exactly one `Host` (RFC 9112 §3.2; default true).
    public var requireHost: Bool

    /// Creates a configuration; the defaults suit the chat node.
    public init(maxHeadBytes: Int = 8192, maxHeaderCount: Int = 100, maxBodyBytes: Int = 0, requireHost: Bool = true) {
        self.maxHeadBytes = max(16, maxHeadBytes)
        self.maxHeaderCount = max(0, maxHeaderCount)
        self.maxBodyBytes = max(0, maxBodyBytes)
        self.requireHost = requireHost
    }
}
