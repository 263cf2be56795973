/// Why a request head was refused. Each case maps to one status in `status`;
/// after any of them the connection is answered and closed (the stream can no
/// longer be framed reliably).
public enum HTTPParseError: Error, Hashable, Sendable {
    /// The request line alone did not end within the head limit: 414.
    case requestLineTooLong
    /// The request head (request line and fields) exceeds the byte limit: 431.
    case headTooLarge
    /// More header fields than the configured count: 431.
    case tooManyHeaders
    /// A line ended in a bare LF, or a CR was not followed by LF: 400.
    case invalidLineEnding
    /// The request line is not `method SP target SP version`: 400.
    case invalidRequestLine
    /// The target is not origin-form or http(s) absolute-form, has a bad escape,
    /// is not UTF-8 once decoded, or its path holds a NUL: 400.
    case invalidTarget
    /// The version is not `HTTP/DIGIT.DIGIT`: 400.
    case invalidVersion
    /// A well-formed version other than 1.0 and 1.1: 505.
    case unsupportedVersion
    /// A field line is malformed (no colon, space before the colon, bad characters,
    /// obs-fold continuation): 400.
    case invalidHeader
    /// HTTP/1.1 without exactly one `Host`, or any request with several: 400.
    case invalidHost
    /// `Content-Length` is not a plain decimal, or appears more than once: 400.
    case invalidContentLength
    /// `Content-Length` above the body limit: 413.
    case bodyTooLarge
    /// Any `Transfer-Encoding` (a body of unbounded length on a GET-only server): 413.
    case transferEncodingNotAllowed

    /// The status to answer with.
    public var status: HTTPStatus {
        switch self {
        case .requestLineTooLong: .uriTooLong
        case .headTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        case .unsupportedVersion: .httpVersionNotSupported
        case .bodyTooLarge, .transferEncodingNotAllowed: .contentTooLarge
        case .invalidLineEnding, .invalidRequestLine, .invalidTarget, .invalidVersion,
             .invalidHeader, .invalidHost, .invalidContentLength: .badRequest
        }
    }
}
