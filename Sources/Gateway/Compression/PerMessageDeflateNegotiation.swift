/// RFC 7692 §5 and §7.1 negotiation, for both sides.
///
/// Server: walk the client's offers in its order of preference, accept the first valid
/// `permessage-deflate` offer and answer with the parameters that bind both sides. An offer
/// with an unknown parameter, a repeated parameter or a bad value is declined (§5.1), and the
/// next offer is tried; no acceptable offer means no compression, never a failed handshake.
///
///     offer:    permessage-deflate; client_max_window_bits; server_max_window_bits=10
///     response: permessage-deflate; server_no_context_takeover; server_max_window_bits=10
public enum PerMessageDeflateNegotiation {
    /// The parameters of one offer or response, as received.
    struct Received {
        var serverNoContextTakeover = false
        var clientNoContextTakeover = false
        /// `server_max_window_bits=N`; nil when absent.
        var serverMaxWindowBits: Int?
        /// `client_max_window_bits[=N]`: nil when absent, 15 when given without a value.
        var clientMaxWindowBits: Int?
    }

    /// Server side: picks the first acceptable offer from a `Sec-WebSocket-Extensions`
    /// request header; nil to run without compression.
    public static func negotiate(
        offers header: String, configuration: PerMessageDeflateConfiguration
    ) -> PerMessageDeflateParameters? {
        for offer in WebSocketExtension.parse(header) {
            guard let offer, offer.name == PerMessageDeflate.extensionName,
                  let received = parse(offer.parameters, requireClientBitsValue: false) else { continue }
            if let accepted = accept(received, configuration: configuration) { return accepted }
        }
        return nil
    }

    /// Client side: the offer our client sends (asks for nothing, allows the server to
    /// limit our window).
    public static func clientOffer(noContextTakeover: Bool = false) -> String {
        PerMessageDeflate.extensionName + "; client_max_window_bits" + (noContextTakeover ? "; client_no_context_takeover" : "")
    }

    /// Client side: checks the server's response to `clientOffer`; nil when it is not a
    /// valid permessage-deflate response (the client must then fail the connection).
    public static func acceptResponse(_ header: String) -> PerMessageDeflateParameters? {
        let entries = WebSocketExtension.parse(header)
        guard entries.count == 1, let response = entries.first ?? nil,
              response.name == PerMessageDeflate.extensionName,
              let received = parse(response.parameters, requireClientBitsValue: true) else { return nil }
        return PerMessageDeflateParameters(
            serverNoContextTakeover: received.serverNoContextTakeover,
            clientNoContextTakeover: received.clientNoContextTakeover,
            serverMaxWindowBits: received.serverMaxWindowBits ?? 15,
            clientMaxWindowBits: received.clientMaxWindowBits ?? 15,
            headerValue: header)
    }

    /// Builds the server's answer to a valid offer; nil to decline it.
    static func accept(_ offer: Received, configuration: PerMessageDeflateConfiguration) -> PerMessageDeflateParameters? {
        let serverBits = min(configuration.serverMaxWindowBits, offer.serverMaxWindowBits ?? 15)
        // zlib cannot compress with an 8-bit window; decline rather than break the limit.
        guard serverBits >= 9 else { return nil }
        var clientBits = 15
        if let offered = offer.clientMaxWindowBits { clientBits = min(offered, configuration.clientMaxWindowBits) }
        let serverReset = offer.serverNoContextTakeover || configuration.serverNoContextTakeover
        let clientReset = offer.clientNoContextTakeover || configuration.clientNoContextTakeover
        var header = PerMessageDeflate.extensionName
        if serverReset { header += "; server_no_context_takeover" }
        if clientReset { header += "; client_no_context_takeover" }
        // §7.1.2.1: accepting an offer of server_max_window_bits means echoing it (≤ the offer).
        if offer.serverMaxWindowBits != nil || serverBits < 15 { header += "; server_max_window_bits=\(serverBits)" }
        // §7.1.2.2: client_max_window_bits may only be answered when offered.
        if offer.clientMaxWindowBits != nil && clientBits < 15 { header += "; client_max_window_bits=\(clientBits)" }
        return PerMessageDeflateParameters(
            serverNoContextTakeover: serverReset, clientNoContextTakeover: clientReset,
            serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits, headerValue: header)
    }

    /// Reads the four RFC 7692 parameters; nil for unknown, repeated or invalid ones.
    static func parse(_ parameters: [WebSocketExtension.Parameter], requireClientBitsValue: Bool) -> Received? {
        var received = Received()
        var seen: Set<String> = []
        for parameter in parameters {
            guard seen.insert(parameter.name).inserted else { return nil }
            switch parameter.name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { return nil }
                received.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                received.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let bits = windowBits(parameter.value) else { return nil }
                received.serverMaxWindowBits = bits
            case "client_max_window_bits":
                if parameter.value == nil && !requireClientBitsValue {
                    received.clientMaxWindowBits = 15
                } else {
                    guard let bits = windowBits(parameter.value) else { return nil }
                    received.clientMaxWindowBits = bits
                }
            default:
                return nil
            }
        }
        return received
    }

    /// Parses a window-bits value: decimal 8...15 without leading zeros (RFC 7692 §7.1.2).
    static func windowBits(_ value: String?) -> Int? {
        guard let value, let first = value.utf8.first, first != UInt8(ascii: "0"),
              value.utf8.count <= 2, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let bits = Int(value), PerMessageDeflate.windowBitsRange.contains(bits) else { return nil }
        return bits
    }
}
