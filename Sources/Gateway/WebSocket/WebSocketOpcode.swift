/// The 4-bit opcode of a WebSocket frame (RFC 6455 §5.2, §11.8).
///
/// Values 3-7 and 11-15 are reserved; the parser rejects them with 1002 because no
/// extension we negotiate defines them.
///
///     0x0 continuation   0x8 close
///     0x1 text           0x9 ping
///     0x2 binary         0xA pong
public enum WebSocketOpcode: UInt8, Sendable, Hashable, CaseIterable {
    /// Continues a fragmented text or binary message.
    case continuation = 0x0
    /// First (or only) frame of a UTF-8 text message.
    case text = 0x1
    /// First (or only) frame of a binary message.
    case binary = 0x2
    /// Closing handshake (RFC 6455 §5.5.1).
    case close = 0x8
    /// Keep-alive probe; the peer answers with a pong (RFC 6455 §5.5.2).
    case ping = 0x9
    /// Answer to a ping, or an unsolicited heartbeat (RFC 6455 §5.5.3).
    case pong = 0xA

    /// Whether this is a control opcode (close, ping, pong): the high bit of the nibble.
    ///
    /// Control frames are never fragmented and carry at most 125 bytes (RFC 6455 §5.5).
    @inlinable
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// Which side of the connection a parser or encoder works for (RFC 6455 §5.1, §5.3).
///
/// A client masks every frame it sends; a server never masks. Each side rejects frames
/// that break this rule with 1002.
public enum WebSocketRole: Sendable, Hashable {
    /// The accepting side: expects masked frames, sends unmasked ones.
    case server
    /// The connecting side: expects unmasked frames, sends masked ones.
    case client
}
