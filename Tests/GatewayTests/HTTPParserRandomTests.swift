import TestSupport
import Testing
@testable import Gateway

@Suite("HTTP request parser: random splits and random bytes")
struct HTTPParserRandomTests {
    /// A stream of pipelined requests, the last one malformed so errors are compared too.
    static let stream: [UInt8] = Array((
        "\r\nGET /ws?token=abc.def.ghi&user=z%C3%BC+x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        + "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
        + "GET http://h/dev/token?user=ann HTTP/1.1\r\nhost: h\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n"
        + "HEAD /app/main.js HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"1-2\"\r\n\r\n"
        + "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"
    ).utf8)

    @Test func randomSplitsGiveIdenticalResults() {
        let whole = parseHTTP(Self.stream)
        #expect(whole.requests.count == 4)
        #expect(whole.error == .invalidHeader)
        var rng = HTTPTestRNG(seed: 0x5EED_0001)
        for _ in 0..<1_000 {
            let cutCount = Int.random(in: 0...12, using: &rng)
            let cuts = (0..<cutCount).map { _ in Int.random(in: 0...Self.stream.count, using: &rng) }.sorted()
            #expect(parseHTTP(Self.stream, cuts: cuts) == whole)
        }
        #expect(parseHTTP(Self.stream, cuts: Array(0...Self.stream.count)) == whole)  // byte by byte
    }

    @Test func randomBytesNeverCrash() {
        var rng = HTTPTestRNG(seed: 0x5EED_0002)
        let alphabet = Array("GET /?=&%+:HTTP1.0\r\n \t".utf8) + [0, 0x7F, 0x80, 0xFF]
        for round in 0..<2_000 {
            let length = Int.random(in: 0...300, using: &rng)
            let bytes: [UInt8] = (0..<length).map { _ in
                round.isMultiple(of: 2) ? UInt8.random(in: 0...255, using: &rng)
                                        : alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            }
            let cuts = (0..<3).map { _ in Int.random(in: 0...length, using: &rng) }.sorted()
            let config = HTTPParserConfiguration(maxHeadBytes: 128, maxHeaderCount: 4, maxBodyBytes: 8)
            #expect(parseHTTP(bytes, cuts: cuts, configuration: config) == parseHTTP(bytes, configuration: config))
        }
    }

    @Test func randomMutationsOfValidStreamNeverCrash() {
        var rng = HTTPTestRNG(seed: 0x5EED_0003)
        for _ in 0..<2_000 {
            var bytes = Self.stream
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                }
            }
            let cuts = [Int.random(in: 0...bytes.count, using: &rng)]
            #expect(parseHTTP(bytes, cuts: cuts) == parseHTTP(bytes))
        }
    }
}
