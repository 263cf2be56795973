extension WebSocketHandshake {
    /// One response header line, `name: value`.
    public struct HeaderField: Sendable, Hashable {
        /// Header name as written on the wire.
        public var name: String
        /// Header value.
        public var value: String

        /// A header line.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }
}

/// What the server's handshake accepts: subprotocols and compression.
public struct WebSocketHandshakeConfiguration: Sendable, Hashable {
    /// Subprotocols we speak, in our order of preference.
    public var subprotocols: [String]
    /// permessage-deflate settings; nil never negotiates compression.
    public var permessageDeflate: PerMessageDeflateConfiguration?

    /// Defaults: `chat.v1`, permessage-deflate with the default settings.
    public init(
        subprotocols: [String] = [GatewayModule.protocolVersion],
        permessageDeflate: PerMessageDeflateConfiguration? = PerMessageDeflateConfiguration()
    ) {
        self.subprotocols = subprotocols
        self.permessageDeflate = permessageDeflate
    }
}

/// An accepted handshake: the `101 Switching Protocols` headers and what was agreed.
public struct WebSocketHandshakeAcceptance: Sendable, Hashable {
    /// Upgrade, Connection, Sec-WebSocket-Accept, and Protocol/Extensions when agreed.
    public var headers: [WebSocketHandshake.HeaderField]
    /// The selected subprotocol, nil when the client offered none we speak.
    public var subprotocol: String?
    /// Negotiated compression, nil without.
    public var permessageDeflate: PerMessageDeflateParameters?

    /// An acceptance with the given parts.
    public init(headers: [WebSocketHandshake.HeaderField], subprotocol: String?, permessageDeflate: PerMessageDeflateParameters?) {
        self.headers = headers
        self.subprotocol = subprotocol
        self.permessageDeflate = permessageDeflate
    }

    /// The whole response head, status line to blank line, ready to write.
    public var responseHead: String {
        var head = "HTTP/1.1 101 Switching Protocols\r\n"
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        return head + "\r\n"
    }
}

/// Why a handshake was refused (for logs and tests; not sent to the client).
public enum WebSocketHandshakeRejection: Sendable, Hashable {
    /// Not a GET request.
    case methodNotGet
    /// Not HTTP/1.1.
    case httpVersion
    /// No `Upgrade: websocket`.
    case missingUpgrade
    /// No `upgrade` token in `Connection`.
    case missingConnectionUpgrade
    /// `Sec-WebSocket-Version` missing or not 13: answered with 426.
    case unsupportedVersion
    /// `Sec-WebSocket-Key` missing or not base64 of 16 bytes.
    case invalidKey
}

/// The server's decision on an upgrade request.
public enum WebSocketHandshakeResult: Sendable, Hashable {
    /// Switch protocols with these headers.
    case accept(WebSocketHandshakeAcceptance)
    /// Answer with this status (400 or 426) and extra headers, then close.
    case reject(status: Int, headers: [WebSocketHandshake.HeaderField], reason: WebSocketHandshakeRejection)
}
