import TestSupport
import Testing
@testable import Gateway

@Suite struct WebSocketFrameEncoderTests {
    let server = WebSocketFrameEncoder(role: .server)

    @Test func rfcExamples() {
        #expect(server.text("Hello") == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(clientEncoder.text("Hello", maskKey: rfcKey) == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(server.ping(Array("Hello".utf8)) == [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(Array(server.binary(Array(repeating: 0, count: 256)).prefix(4)) == [0x82, 0x7E, 0x01, 0x00])
        #expect(Array(server.binary(Array(repeating: 0, count: 65536)).prefix(10)) == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
    }

    @Test func headerLengths() {
        #expect(WebSocketFrameEncoder.headerLength(payloadCount: 125, masked: false) == 2)
        #expect(WebSocketFrameEncoder.headerLength(payloadCount: 126, masked: false) == 4)
        #expect(WebSocketFrameEncoder.headerLength(payloadCount: 65535, masked: true) == 8)
        #expect(WebSocketFrameEncoder.headerLength(payloadCount: 65536, masked: true) == 14)
        for count in [0, 125, 126, 65535, 65536] {
            #expect(server.binary(Array(repeating: 1, count: count)).count == count + WebSocketFrameEncoder.headerLength(payloadCount: count, masked: false))
        }
    }

    @Test func inPlaceFillAndAppendMatchTheCopyingForms() {
        let payload = Array("shared by every recipient".utf8)
        let copied = clientEncoder.frame(.text, payload: payload, maskKey: rfcKey)
        let filled = clientEncoder.frame(.text, payloadCount: payload.count, maskKey: rfcKey) { $0.copyBytes(from: payload) }
        var batch: [UInt8] = [0xAA]
        clientEncoder.append(.text, payload: payload, maskKey: rfcKey, to: &batch)
        #expect(filled == copied)
        #expect(batch == [0xAA] + copied)
    }

    @Test func closeReasonIsTruncatedOnACharacterBoundary() throws {
        let frame = server.close(code: .goingAway, reason: String(repeating: "é", count: 100))
        #expect(frame.count == 2 + 2 + 122)
        var parser = WebSocketFrameParser(configuration: WebSocketParserConfiguration(role: .client))
        let frames = try parser.frames(from: frame)
        let decoded = try WebSocketClosePayload.decode(frames.first?.payload ?? [])
        #expect(decoded.code == .goingAway && decoded.reason == String(repeating: "é", count: 61))
        #expect(server.close(code: nil) == [0x88, 0x00])
    }

    @Test func roundTripsThroughTheParserForBothRoles() throws {
        var rng = SplitMix64(seed: 42)
        for count in [0, 1, 7, 8, 9, 125, 126, 1000, 65535, 65536, 100_000] {
            let payload = rng.bytes(count)
            let configuration = WebSocketParserConfiguration(role: .server, maxMessageSize: 1 << 20)
            var toServer = WebSocketMessageAssembler(configuration: configuration)
            #expect(try toServer.messages(from: clientEncoder.binary(payload)) == [.binary(payload)])
            var toClient = WebSocketMessageAssembler(configuration: WebSocketParserConfiguration(role: .client, maxMessageSize: 1 << 20))
            #expect(try toClient.messages(from: server.binary(payload)) == [.binary(payload)])
        }
    }

    @Test func clientKeysAreRandomWhenNotGiven() {
        let payload = Array("same".utf8)
        let frames = Set((0..<8).map { _ in clientEncoder.frame(.text, payload: payload) })
        #expect(frames.count > 1)
    }

    @Test func compressedMessagesSetRSV1OnlyWhenWorthIt() throws {
        let compressor = PerMessageDeflateCompressor(noContextTakeover: true, minimumSize: 64)
        let small = try server.message(.text, payload: Array("short".utf8), compressor: compressor)
        #expect(small == server.text("short"))
        let long = Array(String(repeating: "chat message ", count: 40).utf8)
        let frame = try server.message(.text, payload: long, compressor: compressor)
        #expect(frame[0] == 0xC1 && frame.count < long.count)
        var rng = SplitMix64(seed: 1)
        let noise = rng.bytes(500)
        #expect(try server.message(.binary, payload: noise, compressor: compressor) == server.binary(noise))
        var client = WebSocketMessageAssembler(
            configuration: WebSocketParserConfiguration(role: .client, permessageDeflate: true),
            decompressor: PerMessageDeflateDecompressor(noContextTakeover: true))
        #expect(try client.messages(from: frame) == [.text(long)])
    }
}
