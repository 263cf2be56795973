import TestSupport
import Testing
import Gateway

@Suite struct PerMessageDeflateTests {
    static let hello = Array("Hello".utf8)

    @Test func rfc7692Examples() throws {
        // §7.2.3.1: "Hello" in one compressed message.
        let compressor = PerMessageDeflateCompressor(noContextTakeover: false)
        #expect(try compressor.compress(Self.hello) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        // §7.2.3.2: the second "Hello" refers back to the first through the shared window.
        #expect(try compressor.compress(Self.hello) == [0xF2, 0x00, 0x11, 0x00, 0x00])
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: false)
        #expect(try decompressor.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], limit: 100) == Self.hello)
        #expect(try decompressor.decompress([0xF2, 0x00, 0x11, 0x00, 0x00], limit: 100) == Self.hello)
    }

    @Test func withoutContextTakeoverEveryMessageStandsAlone() throws {
        let compressor = PerMessageDeflateCompressor(noContextTakeover: true)
        #expect(try compressor.compress(Self.hello) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(try compressor.compress(Self.hello) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    @Test func finalBlockThenAnotherMessageWithTakeover() throws {
        // §7.2.3.4 allows BFINAL; the appended tail must not leave zlib mid-block.
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: false)
        #expect(try decompressor.decompress([0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], limit: 100) == Self.hello)
        #expect(try decompressor.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], limit: 100) == Self.hello)
    }

    @Test func emptyMessages() throws {
        let compressor = PerMessageDeflateCompressor(noContextTakeover: false)
        #expect(try compressor.compress([]) == [0x00])  // §7.2.3.6
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: false)
        #expect(try decompressor.decompress([0x00], limit: 10) == [])
        #expect(try decompressor.decompress([], limit: 10) == [])
        #expect(try decompressor.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], limit: 10) == Self.hello)
    }

    @Test(arguments: [false, true])
    func roundTrips(noContextTakeover: Bool) throws {
        var rng = SplitMix64(seed: noContextTakeover ? 1 : 2)
        let compressor = PerMessageDeflateCompressor(noContextTakeover: noContextTakeover)
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: noContextTakeover)
        var total = 0
        var compressedTotal = 0
        for index in 0..<200 {
            let words = (0..<Int.random(in: 0...60, using: &rng)).map { _ in ["room", "hello", "typing", "ack", "msg"].randomElement(using: &rng) ?? "" }
            var message = Array(words.joined(separator: " ").utf8)
            if index % 10 == 0 { message += rng.bytes(Int.random(in: 0...3000, using: &rng)) }
            let compressed = try compressor.compress(message)
            #expect(try decompressor.decompress(compressed, limit: 1 << 20) == message)
            total += message.count
            compressedTotal += compressed.count
        }
        #expect(compressedTotal < total)
    }

    @Test func contextTakeoverReallyCarriesState() throws {
        // A decompressor that resets cannot follow a compressor that keeps its window.
        let compressor = PerMessageDeflateCompressor(noContextTakeover: false)
        let message = Array(String(repeating: "a sentence that repeats ", count: 20).utf8)
        _ = try compressor.compress(message)
        let second = try compressor.compress(message)
        let resetting = PerMessageDeflateDecompressor(noContextTakeover: true)
        _ = try resetting.decompress(try PerMessageDeflateCompressor(noContextTakeover: true).compress(message), limit: 1 << 16)
        #expect(throws: WebSocketError.invalidCompressedData) { try resetting.decompress(second, limit: 1 << 16) }
    }

    @Test func fragmentsInflateIncrementally() throws {
        let message = Array(String(repeating: "fragmented and compressed ", count: 100).utf8)
        let compressed = try PerMessageDeflateCompressor(noContextTakeover: true).compress(message)
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: true)
        var output: [UInt8] = []
        for (index, byte) in compressed.enumerated() {
            try [byte].withUnsafeBytes { try decompressor.decompress($0, isFinal: index == compressed.count - 1, into: &output, limit: 1 << 16) }
        }
        #expect(output == message)
    }

    @Test func bombStopsAtTheCap() throws {
        let bomb = try PerMessageDeflateCompressor(noContextTakeover: true).compress(Array(repeating: 0, count: 10_000_000))
        #expect(bomb.count < 20_000)
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: true)
        var output: [UInt8] = []
        #expect(throws: WebSocketError.messageTooBig) {
            try bomb.withUnsafeBytes { try decompressor.decompress($0, isFinal: true, into: &output, limit: 65536) }
        }
        #expect(output.count <= 65536)
        #expect(WebSocketError.messageTooBig.closeCode == .messageTooBig)
    }

    @Test func messageExactlyAtTheCapIsAccepted() throws {
        let message = Array(repeating: UInt8(7), count: 65536)
        let compressed = try PerMessageDeflateCompressor(noContextTakeover: true).compress(message)
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: true)
        #expect(try decompressor.decompress(compressed, limit: 65536) == message)
        #expect(throws: WebSocketError.messageTooBig) { try decompressor.decompress(compressed, limit: 65535) }
    }

    @Test func corruptDataFailsWith1007() {
        let decompressor = PerMessageDeflateDecompressor(noContextTakeover: true)
        #expect(throws: WebSocketError.invalidCompressedData) { try decompressor.decompress([0xFF, 0xFF, 0xFF], limit: 100) }
        #expect(WebSocketError.invalidCompressedData.closeCode == .invalidPayloadData)
    }

    @Test func compressedMessagesThroughTheAssembler() throws {
        let configuration = WebSocketParserConfiguration(role: .server, maxMessageSize: 1000, permessageDeflate: true)
        let compressor = PerMessageDeflateCompressor(noContextTakeover: false)
        let text = Array(String(repeating: "zß", count: 300).utf8)  // 900 bytes
        let compressed = try compressor.compress(text)
        let half = compressed.count / 2
        let stream = rawFrame(first: 0x41, payload: Array(compressed[..<half])) + rawFrame(first: 0x89, payload: [])
            + rawFrame(first: 0x80, payload: Array(compressed[half...]))
            + rawFrame(first: 0xC1, payload: try compressor.compress(text))
        let expected = FeedOutcome(messages: [.ping([]), .text(text), .text(text)])
        #expect(feed(stream, configuration: configuration, decompressor: PerMessageDeflateDecompressor(noContextTakeover: false)) == expected)
        // Over the limit after inflation: 1009, though the wire size is tiny.
        let big = try PerMessageDeflateCompressor(noContextTakeover: true).compress(Array(repeating: 0x41, count: 1001))
        let outcome = feed(rawFrame(first: 0xC1, payload: big), configuration: configuration)
        #expect(outcome.error == .messageTooBig)
        // Invalid UTF-8 inside compressed text: 1007.
        let bad = try PerMessageDeflateCompressor(noContextTakeover: true).compress([0x41, 0xC0, 0x80])
        #expect(feed(rawFrame(first: 0xC1, payload: bad), configuration: configuration).error == .invalidUTF8)
    }
}
