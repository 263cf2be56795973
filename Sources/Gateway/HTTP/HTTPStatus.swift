/// An HTTP status code with its reason phrase (RFC 9110 §15).
///
/// The table holds the codes this server sends; any other code gets the
/// reason phrase `Unknown` (clients must ignore reason phrases anyway).
/// Two statuses are equal when their codes are, whatever their phrases.
public struct HTTPStatus: Hashable, Sendable {
    /// The three-digit status code.
    public let code: Int
    /// The reason phrase written after the code in the status line.
    public let reasonPhrase: String

    /// Creates a status with the table's reason phrase for `code`.
    public init(code: Int) {
        self.code = code
        self.reasonPhrase = HTTPStatus.reasonPhrases[code] ?? "Unknown"
    }

    /// Creates a status with a custom reason phrase.
    public init(code: Int, reasonPhrase: String) {
        self.code = code
        self.reasonPhrase = reasonPhrase
    }

    /// Whether a response with this status may carry a body and `Content-Length`
    /// (not 1xx, 204 or 304: RFC 9110 §8.6, §15.3.5, §15.4.5).
    public var allowsBody: Bool {
        !(100..<200).contains(code) && code != 204 && code != 304
    }

    static let reasonPhrases: [Int: String] = [
        101: "Switching Protocols",
        200: "OK",
        204: "No Content",
        301: "Moved Permanently",
        304: "Not Modified",
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        413: "Content Too Large",
        414: "URI Too Long",
        426: "Upgrade Required",
        429: "Too Many Requests",
        431: "Request Header Fields Too Large",
        500: "Internal Server Error",
        503: "Service Unavailable",
        505: "HTTP Version Not Supported",
    ]
}

extension HTTPStatus {
    /// Equal codes, whatever the reason phrases.
    public static func == (lhs: HTTPStatus, rhs: HTTPStatus) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

// MARK: - Named statuses

extension HTTPStatus {
    /// 101: the WebSocket upgrade was accepted.
    public static let switchingProtocols = HTTPStatus(code: 101)
    /// 200.
    public static let ok = HTTPStatus(code: 200)
    /// 204.
    public static let noContent = HTTPStatus(code: 204)
    /// 301.
    public static let movedPermanently = HTTPStatus(code: 301)
    /// 304: the client's cached copy (`If-None-Match`) is current.
    public static let notModified = HTTPStatus(code: 304)
    /// 400: malformed request.
    public static let badRequest = HTTPStatus(code: 400)
    /// 401: missing or invalid token.
    public static let unauthorized = HTTPStatus(code: 401)
    /// 403.
    public static let forbidden = HTTPStatus(code: 403)
    /// 404.
    public static let notFound = HTTPStatus(code: 404)
    /// 405: the route exists but not for this method.
    public static let methodNotAllowed = HTTPStatus(code: 405)
    /// 413: the request carries a body this server does not accept.
    public static let contentTooLarge = HTTPStatus(code: 413)
    /// 414: the request line alone exceeds the head limit.
    public static let uriTooLong = HTTPStatus(code: 414)
    /// 426: wrong `Sec-WebSocket-Version` (sent with `Sec-WebSocket-Version: 13`).
    public static let upgradeRequired = HTTPStatus(code: 426)
    /// 429.
    public static let tooManyRequests = HTTPStatus(code: 429)
    /// 431: the request head exceeds the byte or header-count limit.
    public static let requestHeaderFieldsTooLarge = HTTPStatus(code: 431)
    /// 500.
    public static let internalServerError = HTTPStatus(code: 500)
    /// 503: draining or overloaded.
    public static let serviceUnavailable = HTTPStatus(code: 503)
    /// 505: a well-formed version other than HTTP/1.0 or HTTP/1.1.
    public static let httpVersionNotSupported = HTTPStatus(code: 505)
}
