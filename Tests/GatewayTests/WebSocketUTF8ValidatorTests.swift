import TestSupport
import Testing
import Gateway

@Suite struct WebSocketUTF8ValidatorTests {
    static let valid: [[UInt8]] = [
        [], Array("plain ASCII, long enough to take the 8-byte path".utf8), Array("héllo wörld".utf8),
        Array("€ ✓ 日本語".utf8), Array("😀 𝄞".utf8), [0xF4, 0x8F, 0xBF, 0xBF], [0xEF, 0xBF, 0xBF], [0xC2, 0x80],
        [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xF0, 0x90, 0x80, 0x80],
    ]
    static let invalid: [[UInt8]] = [
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0x80],
        [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
        [0xFF], [0xFE], [0xC2], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xC2, 0x41], [0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0xC3],
        Array("κόσμε".utf8) + [0xED, 0xA0, 0x80] + Array("edited".utf8),
    ]

    @Test(arguments: valid)
    func acceptsWellFormed(_ bytes: [UInt8]) {
        #expect(UTF8Validator.isValid(bytes))
        #expect(verdictWithCut(bytes))
    }

    @Test(arguments: invalid)
    func rejectsOverlongsSurrogatesAndTruncation(_ bytes: [UInt8]) {
        #expect(!UTF8Validator.isValid(bytes))
        #expect(!verdictWithCut(bytes))
    }

    /// The verdict is the same wherever the input is cut in two.
    func verdictWithCut(_ bytes: [UInt8]) -> Bool {
        var verdicts: Set<Bool> = []
        for cut in 0...bytes.count {
            var validator = UTF8Validator()
            let ok = validator.validate(Array(bytes[..<cut])) && validator.validate(Array(bytes[cut...])) && validator.isAtBoundary
            verdicts.insert(ok)
        }
        #expect(verdicts.count == 1)
        return verdicts.first ?? false
    }

    @Test func agreesWithTheStandardLibraryOnRandomInput() {
        var rng = SplitMix64(seed: 0x5EED)
        // Bytes drawn mostly from the interesting ranges (lead bytes, continuations, ASCII).
        let pool: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF,
                             0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        var rejected = 0
        for _ in 0..<5000 {
            let count = Int.random(in: 0...12, using: &rng)
            let bytes = (0..<count).map { _ in pool.randomElement(using: &rng) ?? 0 }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            var validator = UTF8Validator()
            let cut = Int.random(in: 0...count, using: &rng)
            let actual = validator.validate(Array(bytes[..<cut])) && validator.validate(Array(bytes[cut...])) && validator.isAtBoundary
            #expect(actual == expected, "\(bytes)")
            if !expected { rejected += 1 }
        }
        #expect(rejected > 1000 && rejected < 4900)
    }
}
