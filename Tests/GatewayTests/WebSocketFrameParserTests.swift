import TestSupport
import Testing
@testable import Gateway

@Suite struct WebSocketFrameParserTests {
    // MARK: - RFC 6455 §5.7 examples

    @Test func rfcMaskedHello() throws {
        let bytes: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        #expect(feed(bytes, configuration: serverConfiguration) == FeedOutcome(messages: [.text(Array("Hello".utf8))]))
    }

    @Test func rfcUnmaskedHelloForClient() {
        let bytes: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]
        let outcome = feed(bytes, configuration: WebSocketParserConfiguration(role: .client))
        #expect(outcome == FeedOutcome(messages: [.text(Array("Hello".utf8))]))
    }

    @Test func rfcFragmentedHelloForClient() {
        let bytes: [UInt8] = [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]
        let outcome = feed(bytes, configuration: WebSocketParserConfiguration(role: .client))
        #expect(outcome == FeedOutcome(messages: [.text(Array("Hello".utf8))]))
    }

    @Test func extendedLengths() throws {
        for count in [125, 126, 127, 65535, 65536, 70000] {
            let payload = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let bytes = rawFrame(first: 0x82, payload: payload)
            let configuration = WebSocketParserConfiguration(role: .server, maxMessageSize: 1 << 20)
            #expect(feed(bytes, configuration: configuration) == FeedOutcome(messages: [.binary(payload)]), "length \(count)")
        }
    }

    @Test func maskingMatchesNaiveXorAtEveryOffset() {
        var rng = SplitMix64(seed: 7)
        let keyBytes = rng.bytes(4)
        let key = WebSocketMask.key(keyBytes[0], keyBytes[1], keyBytes[2], keyBytes[3])
        for offset in 0..<4 {
            for count in 0..<40 {
                let data = rng.bytes(count)
                var masked = data
                masked.withUnsafeMutableBytes { WebSocketMask.apply(key: key, offset: offset, inPlace: $0) }
                let naive = data.enumerated().map { $0.element ^ keyBytes[($0.offset + offset) % 4] }
                #expect(masked == naive, "offset \(offset) count \(count)")
            }
        }
    }

    // MARK: - Control frames

    @Test func controlFramesBetweenFragmentsArriveAtOnce() throws {
        var assembler = WebSocketMessageAssembler(configuration: serverConfiguration)
        let first = rawFrame(first: 0x01, payload: Array("Hel".utf8))
        let ping = rawFrame(first: 0x89, payload: [1, 2])
        let pong = rawFrame(first: 0x8A, payload: [])
        #expect(try assembler.messages(from: first + ping + pong) == [.ping([1, 2]), .pong([])])
        #expect(!assembler.isIdle)
        let last = rawFrame(first: 0x80, payload: Array("lo".utf8))
        #expect(try assembler.messages(from: last) == [.text(Array("Hello".utf8))])
        #expect(assembler.isIdle)
    }

    @Test func closeFrames() throws {
        var assembler = WebSocketMessageAssembler(configuration: serverConfiguration)
        let withReason = rawFrame(first: 0x88, payload: [0x03, 0xE8] + Array("bye ✓".utf8))
        let empty = rawFrame(first: 0x88, payload: [])
        let appCode = rawFrame(first: 0x88, payload: [0x0F, 0xA8])
        #expect(try assembler.messages(from: withReason + empty + appCode) == [
            .close(.normalClosure, "bye ✓"), .close(nil, ""), .close(.slowConsumer, ""),
        ])
    }

    // MARK: - State and memory

    @Test func idleParserHoldsNothingAndPartialFramesAreKept() throws {
        var parser = WebSocketFrameParser(configuration: serverConfiguration)
        #expect(parser.isIdle && parser.payload.capacity == 0)
        let frame = rawFrame(first: 0x82, payload: Array(repeating: 9, count: 300))
        #expect(try parser.frames(from: Array(frame[0..<3])).isEmpty)
        #expect(!parser.isIdle)
        #expect(try parser.frames(from: Array(frame[3..<100])).isEmpty)
        let frames = try parser.frames(from: Array(frame[100...]))
        #expect(frames == [WebSocketFrame(opcode: .binary, payload: Array(repeating: 9, count: 300))])
        #expect(parser.isIdle && parser.payload.capacity == 0)
    }

    @Test func errorsAreSticky() {
        var assembler = WebSocketMessageAssembler(configuration: serverConfiguration)
        #expect(throws: WebSocketError.unmaskedClientFrame) {
            try assembler.messages(from: rawFrame(first: 0x81, payload: [0x41], maskKey: nil))
        }
        #expect(throws: WebSocketError.unmaskedClientFrame) {
            try assembler.messages(from: rawFrame(first: 0x81, payload: [0x41]))
        }
    }

    @Test func tooBigFrameFailsOnItsHeaderBeforeAnyPayload() {
        var parser = WebSocketFrameParser(configuration: WebSocketParserConfiguration(role: .server, maxMessageSize: 1000))
        let header = Array(rawFrame(first: 0x82, payload: [], declaredLength: 1001).prefix(8))
        #expect(throws: WebSocketError.messageTooBig) { try parser.frames(from: header) }
        #expect(parser.payload.capacity == 0)
    }

    @Test func messageAtTheLimitIsAccepted() {
        let configuration = WebSocketParserConfiguration(role: .server, maxMessageSize: 1000)
        let stream = rawFrame(first: 0x02, payload: Array(repeating: 1, count: 600))
            + rawFrame(first: 0x80, payload: Array(repeating: 1, count: 400))
        #expect(feed(stream, configuration: configuration) == FeedOutcome(messages: [.binary(Array(repeating: 1, count: 1000))]))
    }
}
