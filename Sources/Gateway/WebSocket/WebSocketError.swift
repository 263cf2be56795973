/// Everything a peer can do wrong at the WebSocket layer, each mapped to one close code.
///
/// A closed set: the connection logs the case name (never payload bytes) and closes with
/// `closeCode`. The mapping lives in exactly one place, below:
///
///     protocol violations (framing, masking, RSV, opcodes, fragmentation) -> 1002
///     invalid UTF-8, corrupt compressed data                              -> 1007
///     message (or frame) larger than the configured limit                 -> 1009
///     our own compressor failing                                          -> 1011
public enum WebSocketError: Error, Sendable, Hashable {
    /// A server received an unmasked frame (RFC 6455 §5.1).
    case unmaskedClientFrame
    /// A client received a masked frame (RFC 6455 §5.1).
    case maskedServerFrame
    /// RSV2/RSV3 set, RSV1 without permessage-deflate, RSV1 on a control or continuation frame.
    case reservedBitsSet
    /// Opcodes 3-7 and 11-15 (RFC 6455 §5.2).
    case unknownOpcode(UInt8)
    /// A control frame without FIN (RFC 6455 §5.5).
    case fragmentedControlFrame
    /// A control frame with more than 125 bytes of payload (RFC 6455 §5.5).
    case controlFrameTooLong
    /// A 16- or 64-bit length that fits a shorter encoding (RFC 6455 §5.2: "the minimal
    /// number of bytes MUST be used").
    case nonMinimalLength
    /// A 64-bit length with its most significant bit set (RFC 6455 §5.2).
    case lengthHighBitSet
    /// A continuation frame with no fragmented message in progress (RFC 6455 §5.4).
    case unexpectedContinuation
    /// A new text or binary frame while a fragmented message is in progress (RFC 6455 §5.4).
    case expectedContinuation
    /// A close payload of exactly one byte (RFC 6455 §5.5.1).
    case invalidClosePayload
    /// A close code that must not appear on the wire (RFC 6455 §7.4).
    case invalidCloseCode(UInt16)
    /// A text message or close reason that is not valid UTF-8 (RFC 6455 §8.1).
    case invalidUTF8
    /// Compressed data that zlib cannot inflate (RFC 7692 §6.2).
    case invalidCompressedData
    /// A message over the configured limit, measured after decompression.
    case messageTooBig
    /// Our own deflate stream failed (out of memory): not the peer's fault.
    case compressionFailure

    /// The close code to send when failing the connection for this error.
    public var closeCode: WebSocketCloseCode {
        switch self {
        case .unmaskedClientFrame, .maskedServerFrame, .reservedBitsSet, .unknownOpcode,
             .fragmentedControlFrame, .controlFrameTooLong, .nonMinimalLength, .lengthHighBitSet,
             .unexpectedContinuation, .expectedContinuation, .invalidClosePayload,
             .invalidCloseCode:
            .protocolError
        case .invalidUTF8, .invalidCompressedData:
            .invalidPayloadData
        case .messageTooBig:
            .messageTooBig
        case .compressionFailure:
            .internalError
        }
    }
}
