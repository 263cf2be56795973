/// Settings of the gateway: where it listens, its limits and its timers.
public struct GatewayConfiguration: Sendable {
    /// Address to listen on.
    public var host = "0.0.0.0"
    /// Port to listen on (0 picks a free one; see `Gateway.port`).
    public var port = 8080
    /// Open connections at most; more are answered 503 and closed.
    public var maxConnections = 3000
    /// Largest WebSocket message after decompression (1009 past it).
    public var maxMessageBytes = 64 * 1024
    /// HTTP request head limits.
    public var http = HTTPParserConfiguration()
    /// Seconds a connection has to complete its HTTP request (slowloris).
    public var requestTimeoutSeconds: UInt64 = 10
    /// Seconds of silence before the node pings a WebSocket.
    public var pingIdleSeconds: UInt64 = 30
    /// Seconds to answer a ping before the connection is closed.
    public var pongTimeoutSeconds: UInt64 = 30
    /// Seconds a closing connection waits for the peer's close before the socket is closed.
    public var closeLingerSeconds: UInt64 = 2
    /// Outbound byte budget of a new connection (the tiers change it later).
    public var defaultBudget = 64 * 1024
    /// permessage-deflate settings; nil disables it. The node always answers with
    /// `server_no_context_takeover`, so one compressed frame serves every recipient.
    public var deflate: PerMessageDeflateConfiguration? = PerMessageDeflateConfiguration(serverNoContextTakeover: true)
    /// TLS (https and wss on the same port) when set; nil serves plain TCP. The handshake
    /// must finish within `requestTimeoutSeconds`, like the first request.
    public var tls: TLSContext?
    /// Subprotocols selected when offered.
    public var subprotocols = [GatewayModule.protocolVersion]

    /// The defaults above.
    public init() {}
}
