/// The client side of the opening handshake (RFC 6455 §4.1), for the load generator and
/// tests: builds the request head and checks the server's 101 response.
public struct WebSocketClientHandshake: Sendable, Hashable {
    /// What the server agreed to.
    public struct Outcome: Sendable, Hashable {
        /// The subprotocol the server selected, if any.
        public var subprotocol: String?
        /// Compression parameters, when the server accepted our offer.
        public var permessageDeflate: PerMessageDeflateParameters?

        /// An outcome with the given parts.
        public init(subprotocol: String? = nil, permessageDeflate: PerMessageDeflateParameters? = nil) {
            self.subprotocol = subprotocol
            self.permessageDeflate = permessageDeflate
        }
    }

    /// Our `Sec-WebSocket-Key`: base64 of 16 bytes.
    public let key: String
    /// Subprotocols offered, in order of preference.
    public let subprotocols: [String]
    /// Whether we offer permessage-deflate.
    public let offerDeflate: Bool

    /// A handshake with a fresh random key (or a fixed one, for tests).
    public init(key: String? = nil, subprotocols: [String] = [GatewayModule.protocolVersion], offerDeflate: Bool = false) {
        if let key {
            self.key = key
        } else {
            var generator = SystemRandomNumberGenerator()
            self.key = WebSocketBase64.encode((0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        }
        self.subprotocols = subprotocols
        self.offerDeflate = offerDeflate
    }

    /// The request head, request line to blank line.
    public func requestHead(host: String, path: String = "/", extraHeaders: [WebSocketHandshake.HeaderField] = []) -> String {
        var head = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: \(WebSocketHandshake.version)\r\n"
        if !subprotocols.isEmpty { head += "Sec-WebSocket-Protocol: \(subprotocols.joined(separator: ", "))\r\n" }
        if offerDeflate { head += "Sec-WebSocket-Extensions: \(PerMessageDeflateNegotiation.clientOffer())\r\n" }
        for field in extraHeaders { head += "\(field.name): \(field.value)\r\n" }
        return head + "\r\n"
    }

    /// Checks the server's response (RFC 6455 §4.1, client requirements 1-6).
    ///
    /// - Parameter header: looks a header up by lowercase name; nil when absent.
    public func validateResponse(status: Int, header: (String) -> String?) throws(WebSocketClientHandshakeError) -> Outcome {
        guard status == 101 else { throw .unexpectedStatus(status) }
        guard WebSocketHandshake.hasToken("websocket", in: header("upgrade")) else { throw .missingUpgrade }
        guard WebSocketHandshake.hasToken("upgrade", in: header("connection")) else { throw .missingConnectionUpgrade }
        let accept = header("sec-websocket-accept").map(WebSocketHandshake.trim)
        guard accept == WebSocketHandshake.acceptValue(forKey: key) else { throw .acceptMismatch }
        var outcome = Outcome()
        if let chosen = header("sec-websocket-protocol").map(WebSocketHandshake.trim), !chosen.isEmpty {
            guard subprotocols.contains(chosen) else { throw .unexpectedSubprotocol(chosen) }
            outcome.subprotocol = chosen
        }
        if let extensions = header("sec-websocket-extensions").map(WebSocketHandshake.trim), !extensions.isEmpty {
            guard offerDeflate, let parameters = PerMessageDeflateNegotiation.acceptResponse(extensions) else {
                throw .unexpectedExtensions(extensions)
            }
            outcome.permessageDeflate = parameters
        }
        return outcome
    }
}

/// Why a client refuses the server's handshake response; the client then fails the
/// connection without sending a close frame (RFC 6455 §4.1).
public enum WebSocketClientHandshakeError: Error, Sendable, Hashable {
    /// Anything but 101.
    case unexpectedStatus(Int)
    /// No `Upgrade: websocket`.
    case missingUpgrade
    /// No `upgrade` token in `Connection`.
    case missingConnectionUpgrade
    /// `Sec-WebSocket-Accept` absent or wrong for our key.
    case acceptMismatch
    /// A subprotocol we did not offer.
    case unexpectedSubprotocol(String)
    /// Extensions we did not offer, or an invalid permessage-deflate response.
    case unexpectedExtensions(String)
}
