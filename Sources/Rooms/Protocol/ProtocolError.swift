/// The error codes of the wire contract (PROTOCOL.md, "Error codes"), with their wire names.
public enum ProtocolErrorCode: String, Sendable, CaseIterable {
    /// Malformed frame, unknown `t`, a field of the wrong type or out of range.
    case badRequest = "bad_request"
    /// The room is not allowed by the token's `rooms` claim.
    case forbidden
    /// `send`, `typing`, `read` or `edit` to a room the user has not joined.
    case notMember = "not_member"
    /// `edit` of another user's message.
    case notAuthor = "not_author"
    /// Over the rate limit; the error carries `retry_ms`.
    case rateLimited = "rate_limited"
    /// Message text over the configured limit; nothing stored.
    case tooLarge = "too_large"
    /// Storage not reachable; retry with the same `cid`.
    case unavailable
    /// The feature is switched off at the current load level.
    case degraded
}

/// A refused command, as sent back in an `error` event: `{"t":"error","code":…,"msg":…}`.
///
/// Thrown by the decoders (``ClientCommandDecoder``) and meant to be thrown by room logic
/// too, so that every refusal reaches the client through one encoder,
/// ``ServerEventEncoder/error(_:)``.
public struct ProtocolError: Error, Sendable, Equatable {
    /// The contract's error code.
    public var code: ProtocolErrorCode
    /// A short human-readable reason; never contains message text.
    public var message: String
    /// The client's id of the refused message, when it is known.
    public var cid: String?
    /// For `rate_limited`: milliseconds until a retry can succeed.
    public var retryAfterMs: Int64?

    /// An error with its code, reason and, when known, the message's `cid` and retry delay.
    public init(_ code: ProtocolErrorCode, _ message: String, cid: String? = nil, retryAfterMs: Int64? = nil) {
        self.code = code
        self.message = message
        self.cid = cid
        self.retryAfterMs = retryAfterMs
    }

    /// A `bad_request` error.
    static func badRequest(_ message: String, cid: String? = nil) -> ProtocolError {
        ProtocolError(.badRequest, message, cid: cid)
    }
}
