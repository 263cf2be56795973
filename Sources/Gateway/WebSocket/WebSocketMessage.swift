/// A whole WebSocket message, as the assembler yields it: data reassembled from its
/// fragments and decompressed, or a control frame.
public enum WebSocketMessage: Sendable, Hashable {
    /// A text message; the bytes are valid UTF-8 (checked by the assembler).
    case text([UInt8])
    /// A binary message.
    case binary([UInt8])
    /// A ping; answer with a pong carrying the same payload (RFC 6455 §5.5.2).
    case ping([UInt8])
    /// A pong.
    case pong([UInt8])
    /// A close frame: its code (nil when the payload was empty) and UTF-8 reason.
    case close(WebSocketCloseCode?, String)
}

/// Decoding and encoding of a close frame's payload (RFC 6455 §5.5.1).
///
///     +--------+--------+---------------------+
///     | code (16 bits BE)| reason (UTF-8)     |   or empty
///     +--------+--------+---------------------+
public enum WebSocketClosePayload {
    /// Largest reason that fits a control frame: 125 minus the 2-byte code.
    public static let maxReasonLength = 123

    /// Splits a received close payload into code and reason, checking both.
    ///
    /// Empty: no code. One byte: 1002. A code not allowed on the wire: 1002. A reason that
    /// is not UTF-8: 1007.
    public static func decode(_ payload: [UInt8]) throws(WebSocketError) -> (code: WebSocketCloseCode?, reason: String) {
        if payload.isEmpty { return (nil, "") }
        guard payload.count >= 2 else { throw .invalidClosePayload }
        let code = WebSocketCloseCode(rawValue: UInt16(payload[0]) &<< 8 | UInt16(payload[1]))
        guard code.isValidInCloseFrame else { throw .invalidCloseCode(code.rawValue) }
        let reason = payload.dropFirst(2)
        let valid = reason.withContiguousStorageIfAvailable { UTF8Validator.isValid(UnsafeRawBufferPointer($0)) }
        guard valid ?? UTF8Validator.isValid(Array(reason)) else { throw .invalidUTF8 }
        return (code, String(decoding: reason, as: UTF8.self))
    }

    /// Builds a close payload: the code in network order, then the reason cut to fit.
    ///
    /// A reason longer than 123 bytes is truncated on a character boundary rather than
    /// producing an illegal control frame.
    public static func encode(code: WebSocketCloseCode?, reason: String = "") -> [UInt8] {
        guard let code else { return [] }
        var bytes: [UInt8] = [UInt8(truncatingIfNeeded: code.rawValue &>> 8), UInt8(truncatingIfNeeded: code.rawValue)]
        var used = 0
        for scalar in reason.unicodeScalars {
            let encoded = scalar.utf8
            guard used &+ encoded.count <= maxReasonLength else { break }
            bytes.append(contentsOf: encoded)
            used &+= encoded.count
        }
        return bytes
    }
}
