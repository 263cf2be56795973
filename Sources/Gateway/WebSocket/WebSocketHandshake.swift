import COpenSSL

/// The server side of the opening handshake (RFC 6455 §4.2), as a pure function of the
/// request; the HTTP layer parses the request and writes the chosen response.
///
///     GET /ws HTTP/1.1                    HTTP/1.1 101 Switching Protocols
///     Upgrade: websocket                  Upgrade: websocket
///     Connection: Upgrade          ->     Connection: Upgrade
///     Sec-WebSocket-Key: <16 B, b64>      Sec-WebSocket-Accept: b64(SHA-1(key ++ GUID))
///     Sec-WebSocket-Version: 13           [Sec-WebSocket-Protocol: chat.v1]
///     [Sec-WebSocket-Protocol: chat.v1]   [Sec-WebSocket-Extensions: permessage-deflate...]
///     [Sec-WebSocket-Extensions: ...]
///
/// Checks run in this order: method, HTTP version, Upgrade, Connection (400), then
/// Sec-WebSocket-Version (426 with `Sec-WebSocket-Version: 13`, §4.4), then the key (400).
/// Host is the HTTP layer's business (every HTTP/1.1 request needs it).
public enum WebSocketHandshake {
    /// The GUID appended to the key before hashing (RFC 6455 §1.3).
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// The only protocol version we speak.
    public static let version = "13"

    /// `Sec-WebSocket-Accept` for a key: base64(SHA-1(key ++ GUID)).
    public static func acceptValue(forKey key: String) -> String {
        let input = Array((key + guid).utf8)
        var digest = [UInt8](repeating: 0, count: Int(SHA_DIGEST_LENGTH))
        input.withUnsafeBufferPointer { source in
            digest.withUnsafeMutableBufferPointer { output in
                _ = SHA1(source.baseAddress, source.count, output.baseAddress)
            }
        }
        return WebSocketBase64.encode(digest)
    }

    /// Validates an upgrade request and decides the response.
    ///
    /// - Parameters:
    ///   - method: the request method, e.g. `GET` (case-sensitive, RFC 9110 §9.1).
    ///   - version: the HTTP version, e.g. `HTTP/1.1`.
    ///   - header: looks a header up by lowercase name (the caller handles case and joins
    ///     repeated headers with ", "); nil when absent.
    public static func validate(
        method: String, version: String, header: (String) -> String?,
        configuration: WebSocketHandshakeConfiguration = WebSocketHandshakeConfiguration()
    ) -> WebSocketHandshakeResult {
        guard method == "GET" else { return .reject(status: 400, headers: [], reason: .methodNotGet) }
        guard version == "HTTP/1.1" else { return .reject(status: 400, headers: [], reason: .httpVersion) }
        guard hasToken("websocket", in: header("upgrade")) else { return .reject(status: 400, headers: [], reason: .missingUpgrade) }
        guard hasToken("upgrade", in: header("connection")) else {
            return .reject(status: 400, headers: [], reason: .missingConnectionUpgrade)
        }
        guard header("sec-websocket-version").map(trim) == Self.version else {
            return .reject(status: 426, headers: [.init(name: "Sec-WebSocket-Version", value: Self.version)], reason: .unsupportedVersion)
        }
        guard let key = header("sec-websocket-key").map(trim), WebSocketBase64.isSixteenBytes(key) else {
            return .reject(status: 400, headers: [], reason: .invalidKey)
        }
        var headers: [WebSocketHandshake.HeaderField] = [
            .init(name: "Upgrade", value: "websocket"),
            .init(name: "Connection", value: "Upgrade"),
            .init(name: "Sec-WebSocket-Accept", value: acceptValue(forKey: key)),
        ]
        let offered = tokens(header("sec-websocket-protocol"))
        let subprotocol = configuration.subprotocols.first { offered.contains($0) }
        if let subprotocol { headers.append(.init(name: "Sec-WebSocket-Protocol", value: subprotocol)) }
        var deflate: PerMessageDeflateParameters?
        if let settings = configuration.permessageDeflate, let offers = header("sec-websocket-extensions") {
            deflate = PerMessageDeflateNegotiation.negotiate(offers: offers, configuration: settings)
        }
        if let deflate { headers.append(.init(name: "Sec-WebSocket-Extensions", value: deflate.headerValue)) }
        return .accept(WebSocketHandshakeAcceptance(headers: headers, subprotocol: subprotocol, permessageDeflate: deflate))
    }

    // MARK: - Header values

    /// Splits a comma-separated header value into trimmed, non-empty elements.
    static func tokens(_ value: String?) -> [String] {
        guard let value else { return [] }
        return value.split(separator: ",").map { trim(String($0)) }.filter { !$0.isEmpty }
    }

    /// Whether a comma-separated header value contains `token`, ignoring ASCII case.
    static func hasToken(_ token: String, in value: String?) -> Bool {
        tokens(value).contains { asciiLowercased($0) == token }
    }

    /// Strips spaces and tabs at both ends.
    static func trim(_ text: String) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }),
              let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[first...last])
    }

    /// ASCII-only lowercasing (no locale, no Unicode case folding).
    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
