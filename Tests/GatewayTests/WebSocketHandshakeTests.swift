import Testing
import Gateway
import Foundation

@Suite struct WebSocketHandshakeTests {
    static let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="

    /// A valid request's headers, with overrides and removals.
    static func headers(_ overrides: [String: String] = [:], without removed: Set<String> = []) -> (String) -> String? {
        var fields: [String: String] = [
            "host": "chat.example", "upgrade": "websocket", "connection": "Upgrade",
            "sec-websocket-key": rfcKey, "sec-websocket-version": "13",
        ]
        for (name, value) in overrides { fields[name] = value }
        for name in removed { fields[name] = nil }
        return { fields[$0] }
    }

    static func validate(method: String = "GET", version: String = "HTTP/1.1", _ overrides: [String: String] = [:],
                         without removed: Set<String> = [], configuration: WebSocketHandshakeConfiguration = .init()) -> WebSocketHandshakeResult {
        WebSocketHandshake.validate(method: method, version: version, header: headers(overrides, without: removed), configuration: configuration)
    }

    @Test func rfcAcceptValue() {
        #expect(WebSocketHandshake.acceptValue(forKey: Self.rfcKey) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func validRequestIsAccepted() throws {
        guard case .accept(let acceptance) = Self.validate(["connection": "keep-alive, Upgrade", "upgrade": "WebSocket"]) else {
            Issue.record("rejected")
            return
        }
        #expect(acceptance.subprotocol == nil && acceptance.permessageDeflate == nil)
        #expect(acceptance.responseHead == """
            HTTP/1.1 101 Switching Protocols\r
            Upgrade: websocket\r
            Connection: Upgrade\r
            Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r
            \r

            """)
    }

    @Test(arguments: ["8", "12", "", "13, 8", "14"])
    func wrongVersionAsksForVersion13(_ version: String) {
        let result = Self.validate(["sec-websocket-version": version])
        #expect(result == .reject(status: 426, headers: [.init(name: "Sec-WebSocket-Version", value: "13")], reason: .unsupportedVersion))
    }

    @Test func missingVersionAsksForVersion13() {
        guard case .reject(426, _, .unsupportedVersion) = Self.validate(without: ["sec-websocket-version"]) else {
            Issue.record("expected 426")
            return
        }
    }

    @Test(arguments: [nil, "", "abc", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZR==",
                      "dGhlIHNhbXBsZSBub25j ZQ==", "dGhlIHNhbXBsZSBub25jZSEh"])
    func badKeyIs400(_ key: String?) {
        let result = key.map { Self.validate(["sec-websocket-key": $0]) } ?? Self.validate(without: ["sec-websocket-key"])
        #expect(result == .reject(status: 400, headers: [], reason: .invalidKey))
    }

    @Test func otherMalformedRequestsAre400() {
        #expect(Self.validate(method: "POST") == .reject(status: 400, headers: [], reason: .methodNotGet))
        #expect(Self.validate(version: "HTTP/1.0") == .reject(status: 400, headers: [], reason: .httpVersion))
        #expect(Self.validate(without: ["upgrade"]) == .reject(status: 400, headers: [], reason: .missingUpgrade))
        #expect(Self.validate(["upgrade": "h2c"]) == .reject(status: 400, headers: [], reason: .missingUpgrade))
        #expect(Self.validate(["connection": "keep-alive"]) == .reject(status: 400, headers: [], reason: .missingConnectionUpgrade))
    }

    @Test func subprotocolSelection() throws {
        guard case .accept(let offered) = Self.validate(["sec-websocket-protocol": "other, chat.v1"]),
              case .accept(let notOffered) = Self.validate(["sec-websocket-protocol": "other, chat.v2"]),
              case .accept(let absent) = Self.validate() else {
            Issue.record("rejected")
            return
        }
        #expect(offered.subprotocol == "chat.v1")
        #expect(offered.headers.contains(.init(name: "Sec-WebSocket-Protocol", value: "chat.v1")))
        #expect(notOffered.subprotocol == nil && !notOffered.headers.contains { $0.name == "Sec-WebSocket-Protocol" })
        #expect(absent.subprotocol == nil)
    }

    @Test func extensionNegotiation() throws {
        let offer = "x-unknown, permessage-deflate; client_max_window_bits"
        guard case .accept(let accepted) = Self.validate(["sec-websocket-extensions": offer]),
              case .accept(let disabled) = Self.validate(["sec-websocket-extensions": offer], configuration: .init(permessageDeflate: nil)),
              case .accept(let declined) = Self.validate(["sec-websocket-extensions": "permessage-deflate; bogus"]) else {
            Issue.record("rejected")
            return
        }
        let expected = "permessage-deflate; server_no_context_takeover"
        #expect(accepted.permessageDeflate?.headerValue == expected)
        #expect(accepted.headers.last == .init(name: "Sec-WebSocket-Extensions", value: expected))
        #expect(disabled.permessageDeflate == nil && declined.permessageDeflate == nil)
        #expect(!declined.headers.contains { $0.name == "Sec-WebSocket-Extensions" })
    }

    // MARK: - Client side

    /// Parses a head the way the HTTP layer would: lowercase names, repeated ones joined.
    static func parseHead(_ head: String) -> (firstLine: String, header: (String) -> String?) {
        var lines = head.components(separatedBy: "\r\n")
        let first = lines.removeFirst()
        var fields: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { $0 + ", " + value } ?? value
        }
        return (first, { fields[$0] })
    }

    @Test func clientAndServerAgree() throws {
        let client = WebSocketClientHandshake(offerDeflate: true)
        let request = Self.parseHead(client.requestHead(host: "127.0.0.1:8080", path: "/ws"))
        #expect(request.firstLine == "GET /ws HTTP/1.1")
        guard case .accept(let acceptance) = WebSocketHandshake.validate(method: "GET", version: "HTTP/1.1", header: request.header) else {
            Issue.record("rejected")
            return
        }
        let response = Self.parseHead(acceptance.responseHead)
        let outcome = try client.validateResponse(status: 101, header: response.header)
        #expect(outcome.subprotocol == "chat.v1")
        #expect(outcome.permessageDeflate?.serverNoContextTakeover == true)
    }

    @Test func clientRejectsBadResponses() throws {
        let client = WebSocketClientHandshake(key: Self.rfcKey)
        var fields = ["upgrade": "websocket", "connection": "Upgrade", "sec-websocket-accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]
        #expect(try client.validateResponse(status: 101) { fields[$0] } == .init(subprotocol: nil, permessageDeflate: nil))
        #expect(throws: WebSocketClientHandshakeError.unexpectedStatus(400)) { try client.validateResponse(status: 400) { fields[$0] } }
        fields["sec-websocket-protocol"] = "chat.v9"
        #expect(throws: WebSocketClientHandshakeError.unexpectedSubprotocol("chat.v9")) { try client.validateResponse(status: 101) { fields[$0] } }
        fields["sec-websocket-protocol"] = nil
        fields["sec-websocket-extensions"] = "permessage-deflate"
        #expect(throws: WebSocketClientHandshakeError.unexpectedExtensions("permessage-deflate")) {
            try client.validateResponse(status: 101) { fields[$0] }
        }
        fields["sec-websocket-extensions"] = nil
        fields["sec-websocket-accept"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
        #expect(throws: WebSocketClientHandshakeError.acceptMismatch) { try client.validateResponse(status: 101) { fields[$0] } }
    }
}
