/// A parsed HTTP/1.x request head (body-less: this server serves GET routes and upgrades).
///
///     GET /ws?token=abc&user=ann%20b HTTP/1.1
///     └┬┘ └──────────┬─────────────┘ └──┬───┘
///   method        target             version
///         path "/ws", query [token: "abc", user: "ann b"]
public struct HTTPRequest: Hashable, Sendable {
    /// The method token, case-sensitive (`GET`, `HEAD`, ...).
    public var method: String
    /// The request target exactly as sent (`/ws?token=...` or `http://host/ws`).
    public var target: String
    /// The path, still percent-encoded, always starting with `/` (for `StaticFiles`,
    /// which must tell an encoded `%2F` from a real separator).
    public var rawPath: String
    /// The percent-decoded path, always starting with `/`.
    public var path: String
    /// The decoded query items in order (`+` decoded as a space).
    public var queryItems: [HTTPQueryItem]
    /// The protocol version (1.0 or 1.1).
    public var version: HTTPVersion
    /// The header fields.
    public var headers: HTTPHeaders

    /// Creates a request from parts already validated (the parser's job).
    public init(method: String, target: String, rawPath: String, path: String,
                queryItems: [HTTPQueryItem], version: HTTPVersion, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        self.rawPath = rawPath
        self.path = path
        self.queryItems = queryItems
        self.version = version
        self.headers = headers
    }

    /// The first value of the named query item (exact, case-sensitive name), or nil.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Whether the connection stays open after the response (RFC 9112 §9.3):
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool {
        if headers.contains(token: "close", in: "Connection") { return false }
        if version == .http1_1 { return true }
        return headers.contains(token: "keep-alive", in: "Connection")
    }
}
