/// One client connection, as the gateway tracks it. Loop-bound: created, used and freed
/// on the gateway's loop thread only.
///
/// ```
/// http ──request──> (route) ──upgrade──> webSocket ──close──> closing ──> closed
///   └──response, keep-alive ──> http          └──error──> closing (close frame sent)
/// ```
final class Connection {
    enum State {
        /// Reading an HTTP request.
        case http
        /// An open WebSocket.
        case webSocket
        /// A close frame was sent or an HTTP response ends the connection: output is
        /// flushed, then the write side is shut and the socket closed after a linger.
        case closing
        /// Gone.
        case closed
    }

    let id: ConnectionID
    let fd: Int32
    var state = State.http
    var httpParser: HTTPRequestParser?
    var assembler: WebSocketMessageAssembler?
    var outbound: OutboundQueue
    /// The TLS session when the gateway serves TLS; reads are decrypted and the queue's
    /// frames encrypted through it (`Gateway+TLS.swift`).
    var tls: TLSSession?
    var writeArmed = false
    /// On an I/O loop: the request waiting for loop 0's route (reading pauses meanwhile).
    var routing: PendingRoute?
    var dirty = false
    /// permessage-deflate parameters when negotiated.
    var deflate: PerMessageDeflateParameters?
    /// True when this connection may receive the gateway's shared compressed frames.
    var sharesCompressedFrames = false
    /// Tick of the last byte received.
    var lastActivity: UInt64
    /// Tick when a ping was sent and not yet answered.
    var pingSentAt: UInt64?
    /// Tick by which the connection must have done something (request, pong, close).
    var deadline: UInt64
    /// Whether the application was told of the open (so it must be told of the close).
    var applicationKnows = false
    /// Whether its request waits for the application (`GatewayRoute.hold`).
    var held = false
    /// Bytes received and frames sent, for inspection.
    var bytesIn = 0
    var framesOut = 0

    init(id: ConnectionID, fd: Int32, now: UInt64, budget: Int, http: HTTPParserConfiguration, requestTimeout: UInt64) {
        self.id = id
        self.fd = fd
        self.outbound = OutboundQueue(budget: budget)
        self.httpParser = HTTPRequestParser(configuration: http)
        self.lastActivity = now
        self.deadline = now + requestTimeout
    }
}
