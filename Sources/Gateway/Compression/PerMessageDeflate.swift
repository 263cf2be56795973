/// permessage-deflate (RFC 7692): shared constants and the server's settings.
///
/// A compressed message is the raw DEFLATE stream (no zlib header) of its payload, flushed
/// with `Z_SYNC_FLUSH`, without the final `00 00 ff ff` that the flush appends; the
/// receiver appends those four bytes back before inflating (RFC 7692 §7.2.1, §7.2.2).
///
///     sender:   deflate(payload, SYNC_FLUSH) = data ++ 00 00 ff ff  ->  send data, RSV1 = 1
///     receiver: inflate(data ++ 00 00 ff ff)                        ->  payload
public enum PerMessageDeflate {
    /// The extension token in `Sec-WebSocket-Extensions`.
    public static let extensionName = "permessage-deflate"
    /// The empty stored block that a sync flush ends with (RFC 7692 §7.2.1).
    public static let tail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]
    /// Window bits allowed on the wire (RFC 7692 §7.1.2).
    public static let windowBitsRange = 8...15
}

/// What the server is willing to negotiate for permessage-deflate, and how it compresses.
///
/// Memory per connection matters more than ratio for a chat node, hence the defaults:
/// `serverNoContextTakeover` is on, so each outgoing message is compressed on its own. That
/// keeps no deflate state between messages and, more importantly, makes a compressed frame
/// independent of the connection: the server can compress a room message once and share the
/// frame with every recipient that negotiated the same server window bits.
public struct PerMessageDeflateConfiguration: Sendable, Hashable {
    /// Largest LZ77 window our compressor uses, 9...15 (zlib cannot deflate with 8).
    public var serverMaxWindowBits: Int
    /// Window we ask clients to use (only sent when the client offered the parameter).
    public var clientMaxWindowBits: Int
    /// Reset our compressor after each message (always included in the response when true).
    public var serverNoContextTakeover: Bool
    /// Ask the client to reset its compressor after each message, so ours can reset too.
    public var clientNoContextTakeover: Bool
    /// Payloads shorter than this are sent uncompressed (RSV1 clear).
    public var minimumCompressSize: Int
    /// zlib compression level, 1 (fast) to 9 (small).
    public var compressionLevel: Int32
    /// zlib memLevel, 1...9: memory for the compressor's hash table.
    public var memoryLevel: Int32

    /// Settings with RFC defaults except `serverNoContextTakeover` (see the type's comment).
    public init(
        serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15,
        serverNoContextTakeover: Bool = true, clientNoContextTakeover: Bool = false,
        minimumCompressSize: Int = 64, compressionLevel: Int32 = 6, memoryLevel: Int32 = 8
    ) {
        precondition((9...15).contains(serverMaxWindowBits), "serverMaxWindowBits must be 9...15")
        precondition(PerMessageDeflate.windowBitsRange.contains(clientMaxWindowBits), "clientMaxWindowBits must be 8...15")
        precondition((1...9).contains(compressionLevel) && (1...9).contains(memoryLevel), "zlib levels are 1...9")
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.minimumCompressSize = minimumCompressSize
        self.compressionLevel = compressionLevel
        self.memoryLevel = memoryLevel
    }
}

/// The outcome of a negotiation: what each side's compressor is allowed to do.
public struct PerMessageDeflateParameters: Sendable, Hashable {
    /// The server resets its compressor after every message.
    public var serverNoContextTakeover: Bool
    /// The client resets its compressor after every message.
    public var clientNoContextTakeover: Bool
    /// Largest window the server compresses with.
    public var serverMaxWindowBits: Int
    /// Largest window the client compresses with.
    public var clientMaxWindowBits: Int
    /// The `Sec-WebSocket-Extensions` value that states these parameters.
    public var headerValue: String

    /// Parameters as given; `headerValue` is what the server answers or the client received.
    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15, headerValue: String = PerMessageDeflate.extensionName
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.headerValue = headerValue
    }

    /// A compressor for our side's outgoing messages under these parameters.
    public func makeCompressor(
        role: WebSocketRole, configuration: PerMessageDeflateConfiguration = PerMessageDeflateConfiguration()
    ) -> PerMessageDeflateCompressor {
        let server = role == .server
        return PerMessageDeflateCompressor(
            windowBits: max(9, server ? serverMaxWindowBits : clientMaxWindowBits),
            noContextTakeover: server ? serverNoContextTakeover : clientNoContextTakeover,
            minimumSize: configuration.minimumCompressSize,
            level: configuration.compressionLevel, memoryLevel: configuration.memoryLevel)
    }

    /// A decompressor for the peer's incoming messages under these parameters.
    ///
    /// The window is at least 9 bits: zlib's deflate silently turns 8 into 9, so a peer
    /// using zlib with 8 really sends 9-bit distances.
    public func makeDecompressor(role: WebSocketRole) -> PerMessageDeflateDecompressor {
        let server = role == .server
        return PerMessageDeflateDecompressor(
            windowBits: max(9, server ? clientMaxWindowBits : serverMaxWindowBits),
            noContextTakeover: server ? clientNoContextTakeover : serverNoContextTakeover)
    }
}
