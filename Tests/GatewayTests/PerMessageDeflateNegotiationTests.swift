import Testing
import Gateway

@Suite struct PerMessageDeflateNegotiationTests {
    let rfcDefaults = PerMessageDeflateConfiguration(serverNoContextTakeover: false)

    @Test func plainOfferGetsPlainAnswer() throws {
        let result = try #require(PerMessageDeflateNegotiation.negotiate(offers: "permessage-deflate", configuration: rfcDefaults))
        #expect(result == PerMessageDeflateParameters(headerValue: "permessage-deflate"))
    }

    @Test func defaultConfigurationAsksForNoServerContextTakeover() throws {
        let result = try #require(PerMessageDeflateNegotiation.negotiate(
            offers: "permessage-deflate; client_max_window_bits", configuration: PerMessageDeflateConfiguration()))
        #expect(result.serverNoContextTakeover && !result.clientNoContextTakeover)
        #expect(result.headerValue == "permessage-deflate; server_no_context_takeover")
    }

    @Test func offeredParametersAreHonoured() throws {
        let offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits"
        let result = try #require(PerMessageDeflateNegotiation.negotiate(offers: offer, configuration: rfcDefaults))
        #expect(result.serverNoContextTakeover && result.clientNoContextTakeover)
        #expect(result.serverMaxWindowBits == 10 && result.clientMaxWindowBits == 15)
        #expect(result.headerValue == "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10")
    }

    @Test func serverLimitsItsWindowAndTheClients() throws {
        let configuration = PerMessageDeflateConfiguration(serverMaxWindowBits: 12, clientMaxWindowBits: 11, serverNoContextTakeover: false)
        let result = try #require(PerMessageDeflateNegotiation.negotiate(offers: "permessage-deflate; client_max_window_bits=13", configuration: configuration))
        #expect(result.serverMaxWindowBits == 12 && result.clientMaxWindowBits == 11)
        #expect(result.headerValue == "permessage-deflate; server_max_window_bits=12; client_max_window_bits=11")
        // Without client_max_window_bits in the offer the server may not limit the client.
        let plain = try #require(PerMessageDeflateNegotiation.negotiate(offers: "permessage-deflate", configuration: configuration))
        #expect(plain.clientMaxWindowBits == 15 && !plain.headerValue.contains("client_max_window_bits"))
    }

    @Test(arguments: [
        "permessage-deflate; unknown_param", "permessage-deflate; server_max_window_bits", "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=7", "permessage-deflate; server_max_window_bits=010",
        "permessage-deflate; client_max_window_bits=abc", "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover", "permessage-deflate; server_max_window_bits=8",
        "x-webkit-deflate-frame", "permessage-deflate; server_max_window_bits=\"1 0\"", "permessage-deflate; =", "",
    ])
    func invalidOffersAreDeclined(_ offer: String) {
        #expect(PerMessageDeflateNegotiation.negotiate(offers: offer, configuration: rfcDefaults) == nil)
    }

    @Test func firstAcceptableOfferWins() throws {
        let offers = "permessage-deflate; bogus, permessage-deflate; server_max_window_bits=\"11\", permessage-deflate"
        let result = try #require(PerMessageDeflateNegotiation.negotiate(offers: offers, configuration: rfcDefaults))
        #expect(result.serverMaxWindowBits == 11)
        #expect(result.headerValue == "permessage-deflate; server_max_window_bits=11")
    }

    @Test func clientAcceptsValidResponsesOnly() throws {
        let response = try #require(PerMessageDeflateNegotiation.acceptResponse("permessage-deflate; server_no_context_takeover; client_max_window_bits=10"))
        #expect(response.serverNoContextTakeover && response.clientMaxWindowBits == 10)
        #expect(PerMessageDeflateNegotiation.acceptResponse("permessage-deflate; client_max_window_bits") == nil)
        #expect(PerMessageDeflateNegotiation.acceptResponse("permessage-deflate, permessage-deflate") == nil)
        #expect(PerMessageDeflateNegotiation.acceptResponse("foo") == nil)
    }

    @Test func negotiatedParametersBuildMatchingCodecs() throws {
        let result = try #require(PerMessageDeflateNegotiation.negotiate(
            offers: "permessage-deflate; client_no_context_takeover; server_max_window_bits=9", configuration: rfcDefaults))
        let serverCompressor = result.makeCompressor(role: .server)
        let clientDecompressor = result.makeDecompressor(role: .client)
        #expect(serverCompressor.windowBits == 9 && clientDecompressor.windowBits == 9)
        #expect(result.makeDecompressor(role: .server).noContextTakeover)
        let text = Array(String(repeating: "window ", count: 500).utf8)
        #expect(try clientDecompressor.decompress(try serverCompressor.compress(text), limit: 1 << 16) == text)
    }

    @Test func extensionHeaderParsing() {
        let parsed = WebSocketExtension.parse("Foo; A=1; b=\"x\\y\" , ,bar;c , baz;=1")
        #expect(parsed == [
            WebSocketExtension(name: "foo", parameters: [.init(name: "a", value: "1"), .init(name: "b", value: "xy")]),
            WebSocketExtension(name: "bar", parameters: [.init(name: "c")]),
            nil,
        ])
    }
}
