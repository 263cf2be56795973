/// A status code carried by a close frame (RFC 6455 §7.4).
///
/// A struct rather than an enum: codes 3000-4999 belong to libraries and applications, so
/// the set is open. The constants below are the ones this node sends.
public struct WebSocketCloseCode: RawRepresentable, Sendable, Hashable {
    /// The 16-bit code as sent on the wire (big-endian in the close payload).
    public var rawValue: UInt16

    /// Wraps a raw code without checking it; see `isValidInCloseFrame`.
    @inlinable
    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    /// 1000: the purpose of the connection has been fulfilled.
    public static let normalClosure = WebSocketCloseCode(rawValue: 1000)
    /// 1001: the endpoint goes away (server shutdown or drain, browser leaving the page).
    public static let goingAway = WebSocketCloseCode(rawValue: 1001)
    /// 1002: the peer broke the protocol (framing, masking, reserved bits...).
    public static let protocolError = WebSocketCloseCode(rawValue: 1002)
    /// 1003: a data type the endpoint cannot accept (e.g. binary where only text is understood).
    public static let unsupportedData = WebSocketCloseCode(rawValue: 1003)
    /// 1007: data inconsistent with the message type (invalid UTF-8 in text, corrupt deflate data).
    public static let invalidPayloadData = WebSocketCloseCode(rawValue: 1007)
    /// 1008: a generic policy violation.
    public static let policyViolation = WebSocketCloseCode(rawValue: 1008)
    /// 1009: a message too big to process (after permessage-deflate decompression).
    public static let messageTooBig = WebSocketCloseCode(rawValue: 1009)
    /// 1011: an unexpected condition inside the server.
    public static let internalError = WebSocketCloseCode(rawValue: 1011)
    /// 4008: application code for a slow consumer whose output buffer exceeded its budget.
    public static let slowConsumer = WebSocketCloseCode(rawValue: 4008)

    /// Whether a peer may send this code in a close frame (RFC 6455 §7.4.1, §7.4.2).
    ///
    /// Accepted: 1000-1003, 1007-1011, the IANA-registered 1012-1014 (service restart,
    /// try again later, bad gateway), and 3000-4999. Rejected: 0-999, 1004 (reserved),
    /// 1005 and 1006 (never sent on the wire), 1015 (TLS failure, never sent), the rest of
    /// 1000-2999 (reserved for future RFCs) and 5000 and above.
    @inlinable
    public var isValidInCloseFrame: Bool {
        switch rawValue {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }
}

extension WebSocketCloseCode: CustomStringConvertible {
    /// The decimal code, as operators read it in logs.
    public var description: String { String(rawValue) }
}
