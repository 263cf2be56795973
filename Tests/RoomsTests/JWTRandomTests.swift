import TestSupport
import Testing
@testable import Rooms

@Suite("JWT: random input")
struct JWTRandomTests {
    static let secret = Array("random-test-secret".utf8)

    /// Any change to a valid token's text makes it invalid (base64url decoding is canonical
    /// and the MAC covers the header and payload text exactly), and nothing traps.
    @Test func mutatedTokensNeverVerify() {
        let verifier = JWTVerifier(secret: Self.secret)
        let token = Array(JWTSigner(secret: Self.secret)
            .sign(JWTClaims(userID: 9, expiresAt: 2_000_000_000, name: "x", rooms: [1])).utf8)
        let alphabet = Array("ABCxyz019-_.=+/ {}\"".utf8) + [0, 0xFF]
        var rng = JWTTestRNG(seed: 0x1D)
        for _ in 0..<2_000 {
            var bytes = token
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                let byte = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] = byte
                case 1: bytes.remove(at: index)
                default: bytes.insert(byte, at: index)
                }
            }
            guard bytes != token else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(throws: JWTError.self) { try verifier.verify(text, now: 1_000_000_000) }
        }
    }

    @Test func randomTextNeverTraps() {
        let verifier = JWTVerifier(secret: Self.secret)
        var rng = JWTTestRNG(seed: 0x1E)
        for _ in 0..<2_000 {
            let parts = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                Base64URL.encode((0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            #expect(throws: JWTError.self) { try verifier.verify(parts.joined(separator: "."), now: 0) }
        }
    }
}
