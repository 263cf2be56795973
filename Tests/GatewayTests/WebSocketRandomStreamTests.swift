import TestSupport
import Testing
import Gateway

/// Seeded randomized tests: any split of a valid stream gives the same messages, and
/// random bytes never crash and always end in messages or one error.
@Suite struct WebSocketRandomStreamTests {
    /// A random valid client stream and the messages it must produce.
    static func validStream(
        seed: UInt64, compressor: PerMessageDeflateCompressor?
    ) throws -> (stream: [UInt8], messages: [WebSocketMessage]) {
        var rng = SplitMix64(seed: seed)
        var stream: [UInt8] = []
        var messages: [WebSocketMessage] = []
        let alphabet = Array("ascii é € 😀 chat ".unicodeScalars)
        for _ in 0..<40 {
            let key = UInt32.random(in: .min ... .max, using: &rng)
            let isText = Bool.random(using: &rng)
            let size = [0, 5, 125, 126, 400, 3000, 70_000].randomElement(using: &rng) ?? 0
            let payload: [UInt8] = isText
                ? Array(String(String.UnicodeScalarView((0..<size / 3).map { _ in alphabet.randomElement(using: &rng) ?? "a" })).utf8)
                : rng.bytes(size)
            let opcode: WebSocketOpcode = isText ? .text : .binary
            let shape = Int.random(in: 0..<4, using: &rng)
            if shape == 0 {  // a ping instead (before compressing: with context takeover the
                // compressor must only see messages that are sent)
                let ping = rng.bytes(Int.random(in: 0...125, using: &rng))
                stream += clientEncoder.ping(ping, maskKey: key)
                messages.append(.ping(ping))
                continue
            }
            var body = payload
            var compressed = false
            if let compressor, Bool.random(using: &rng) {
                body = try compressor.compress(payload)
                compressed = true
            }
            switch shape {
            case 1 where body.count > 2:  // three fragments with a pong between
                let a = body.count / 3, b = 2 * body.count / 3
                clientEncoder.append(opcode, payload: Array(body[..<a]), fin: false, rsv1: compressed, maskKey: key, to: &stream)
                clientEncoder.append(.pong, payload: [1], maskKey: key, to: &stream)
                clientEncoder.append(.continuation, payload: Array(body[a..<b]), fin: false, maskKey: key, to: &stream)
                clientEncoder.append(.continuation, payload: Array(body[b...]), maskKey: key, to: &stream)
                messages.append(.pong([1]))
            default:
                clientEncoder.append(opcode, payload: body, rsv1: compressed, maskKey: key, to: &stream)
            }
            messages.append(isText ? .text(payload) : .binary(payload))
        }
        stream += clientEncoder.close(code: .normalClosure, reason: "done", maskKey: 1)
        messages.append(.close(.normalClosure, "done"))
        return (stream, messages)
    }

    static let large = WebSocketParserConfiguration(role: .server, maxMessageSize: 1 << 20)

    @Test func randomSplitsOfAValidStreamGiveTheSameMessages() throws {
        let (stream, messages) = try Self.validStream(seed: 11, compressor: nil)
        #expect(feed(stream, configuration: Self.large) == FeedOutcome(messages: messages))
        var rng = SplitMix64(seed: 12)
        for round in 0..<60 {
            let cuts = randomCuts(stream.count, pieces: round < 10 ? 2000 : Int.random(in: 1...200, using: &rng), using: &rng)
            #expect(feed(stream, cuts: cuts, configuration: Self.large) == FeedOutcome(messages: messages))
        }
    }

    @Test(arguments: [false, true])
    func randomSplitsOfACompressedStream(noContextTakeover: Bool) throws {
        let compressor = PerMessageDeflateCompressor(noContextTakeover: noContextTakeover)
        let (stream, messages) = try Self.validStream(seed: noContextTakeover ? 21 : 22, compressor: compressor)
        let configuration = WebSocketParserConfiguration(role: .server, maxMessageSize: 1 << 20, permessageDeflate: true)
        var rng = SplitMix64(seed: 23)
        for _ in 0..<20 {
            let cuts = randomCuts(stream.count, pieces: Int.random(in: 0...300, using: &rng), using: &rng)
            let decompressor = PerMessageDeflateDecompressor(noContextTakeover: noContextTakeover)
            #expect(feed(stream, cuts: cuts, configuration: configuration, decompressor: decompressor) == FeedOutcome(messages: messages))
        }
    }

    @Test func randomBytesNeverCrashAndSplitsAgree() {
        var rng = SplitMix64(seed: 0xF022)
        var errors = 0
        var sawMessages = 0
        for index in 0..<2000 {
            // Half the cases start from a valid frame and get a few bytes flipped.
            var bytes: [UInt8]
            if index % 2 == 0 {
                bytes = rng.bytes(Int.random(in: 0...64, using: &rng))
            } else {
                bytes = clientEncoder.frame(.text, payload: Array("valid frame ✓".utf8), maskKey: UInt32(index))
                    + clientEncoder.ping([1, 2, 3], maskKey: 9)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let position = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[position] ^= UInt8.random(in: 1...255, using: &rng)
                }
            }
            let configuration = WebSocketParserConfiguration(
                role: Bool.random(using: &rng) ? .server : .client, maxMessageSize: 32, permessageDeflate: Bool.random(using: &rng))
            let whole = feed(bytes, configuration: configuration)
            let split = feed(bytes, cuts: randomCuts(bytes.count, pieces: 3, using: &rng), configuration: configuration)
            #expect(whole == split, "case \(index): \(bytes)")
            if whole.error != nil { errors += 1 }
            if !whole.messages.isEmpty { sawMessages += 1 }
        }
        // Both outcomes occur, so the test exercises more than the first rejection.
        #expect(errors > 500 && sawMessages > 100)
    }
}
