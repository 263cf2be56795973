/// One complete, unmasked WebSocket frame as the parser yields it (RFC 6455 §5.2).
///
///      0                   1                   2                   3
///      0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
///     +-+-+-+-+-------+-+-------------+-------------------------------+
///     |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
///     |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
///     |N|V|V|V|       |S|             |   (if payload len==126/127)   |
///     | |1|2|3|       |K|             |                               |
///     +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
///     |     Extended payload length continued, if payload len == 127  |
///     + - - - - - - - - - - - - - - - +-------------------------------+
///     |                               |Masking-key, if MASK set to 1  |
///     +-------------------------------+-------------------------------+
///     | Masking-key (continued)       |          Payload Data         |
///     +-------------------------------- - - - - - - - - - - - - - - - +
///
/// By the time a frame is yielded it has passed every frame-level check: role-correct
/// masking, reserved bits, opcode, control-frame rules, fragmentation order, size limit
/// and (for close frames) a well-formed close payload.
public struct WebSocketFrame: Sendable, Hashable {
    /// FIN: the last frame of its message.
    public var fin: Bool
    /// RSV1: set on the first frame of a permessage-deflate compressed message (RFC 7692 §6).
    public var rsv1: Bool
    /// What the frame carries.
    public var opcode: WebSocketOpcode
    /// The payload, already unmasked.
    public var payload: [UInt8]

    /// A frame with the given fields.
    public init(fin: Bool = true, rsv1: Bool = false, opcode: WebSocketOpcode, payload: [UInt8]) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.payload = payload
    }
}

/// Settings of a parser or message assembler for one connection.
public struct WebSocketParserConfiguration: Sendable, Hashable {
    /// Which side we are: decides which masking rule incoming frames must follow.
    public var role: WebSocketRole
    /// Largest message accepted, in bytes after decompression (PROTOCOL.md: 64 KiB); 1009 above.
    public var maxMessageSize: Int
    /// Whether permessage-deflate was negotiated, which makes RSV1 legal on first frames.
    public var permessageDeflate: Bool

    /// Settings for one side; 64 KiB messages and no compression unless told otherwise.
    public init(role: WebSocketRole, maxMessageSize: Int = 64 * 1024, permessageDeflate: Bool = false) {
        precondition(maxMessageSize >= 0, "maxMessageSize must not be negative")
        self.role = role
        self.maxMessageSize = maxMessageSize
        self.permessageDeflate = permessageDeflate
    }

    /// Largest wire size of a compressed message: deflate may expand incompressible data
    /// slightly (5 bytes per stored block), so the wire cap gets some slack; the inflated
    /// size is still held to `maxMessageSize`.
    var maxCompressedMessageSize: Int {
        let slack = maxMessageSize / 128 + 64
        return maxMessageSize > Int.max - slack ? Int.max : maxMessageSize + slack
    }
}
