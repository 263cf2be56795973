import Testing
import Gateway

/// Every malformed input named by RFC 6455 (and our limits), with the close code it earns.
@Suite struct WebSocketMalformedFrameTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var stream: [UInt8]
        var error: WebSocketError
        var configuration = serverConfiguration
        var testDescription: String { name }
    }

    static let deflate = WebSocketParserConfiguration(role: .server, permessageDeflate: true)
    static let small = WebSocketParserConfiguration(role: .server, maxMessageSize: 100)
    static let text = rawFrame(first: 0x01, payload: Array("ab".utf8))

    static let cases: [Case] = [
        Case(name: "unmasked client frame", stream: rawFrame(first: 0x81, payload: [0x41], maskKey: nil), error: .unmaskedClientFrame),
        Case(name: "masked server frame", stream: rawFrame(first: 0x81, payload: [0x41]), error: .maskedServerFrame,
             configuration: WebSocketParserConfiguration(role: .client)),
        Case(name: "RSV1 without deflate", stream: rawFrame(first: 0xC1, payload: [0x41]), error: .reservedBitsSet),
        Case(name: "RSV2", stream: rawFrame(first: 0xA1, payload: [0x41]), error: .reservedBitsSet, configuration: deflate),
        Case(name: "RSV3", stream: rawFrame(first: 0x91, payload: [0x41]), error: .reservedBitsSet, configuration: deflate),
        Case(name: "RSV1 on a continuation", stream: text + rawFrame(first: 0xC0, payload: [0x41]), error: .reservedBitsSet,
             configuration: deflate),
        Case(name: "RSV1 on a ping", stream: rawFrame(first: 0xC9, payload: []), error: .reservedBitsSet, configuration: deflate),
        Case(name: "fragmented ping", stream: rawFrame(first: 0x09, payload: [1]), error: .fragmentedControlFrame),
        Case(name: "fragmented close", stream: rawFrame(first: 0x08, payload: []), error: .fragmentedControlFrame),
        Case(name: "ping of 126 bytes", stream: rawFrame(first: 0x89, payload: Array(repeating: 0, count: 126)),
             error: .controlFrameTooLong),
        Case(name: "close of 1 byte", stream: rawFrame(first: 0x88, payload: [0x03]), error: .invalidClosePayload),
        Case(name: "close reason not UTF-8", stream: rawFrame(first: 0x88, payload: [0x03, 0xE8, 0xC0, 0x80]), error: .invalidUTF8),
        Case(name: "continuation without a message", stream: rawFrame(first: 0x80, payload: [0x41]), error: .unexpectedContinuation),
        Case(name: "text inside a fragmented message", stream: text + rawFrame(first: 0x81, payload: [0x41]),
             error: .expectedContinuation),
        Case(name: "binary inside a fragmented message", stream: text + rawFrame(first: 0x02, payload: [0x41]),
             error: .expectedContinuation),
        Case(name: "16-bit length under 126", stream: rawFrame(first: 0x82, payload: Array(repeating: 0, count: 100), lengthBytes: 2),
             error: .nonMinimalLength),
        Case(name: "64-bit length under 65536", stream: rawFrame(first: 0x82, payload: Array(repeating: 0, count: 300), lengthBytes: 8),
             error: .nonMinimalLength),
        Case(name: "64-bit length with the top bit", stream: rawFrame(first: 0x82, lengthBytes: 8, declaredLength: 1 << 63),
             error: .lengthHighBitSet),
        Case(name: "frame over the limit", stream: rawFrame(first: 0x82, payload: Array(repeating: 0, count: 101)),
             error: .messageTooBig, configuration: small),
        Case(name: "huge 64-bit length", stream: rawFrame(first: 0x82, lengthBytes: 8, declaredLength: (1 << 63) - 1),
             error: .messageTooBig),
        Case(name: "fragments over the limit",
             stream: rawFrame(first: 0x02, payload: Array(repeating: 0, count: 60)) + rawFrame(first: 0x80, payload: Array(repeating: 0, count: 41)),
             error: .messageTooBig, configuration: small),
        Case(name: "invalid UTF-8 text", stream: rawFrame(first: 0x81, payload: [0x41, 0xFF]), error: .invalidUTF8),
        Case(name: "surrogate in text", stream: rawFrame(first: 0x81, payload: [0xED, 0xA0, 0x80]), error: .invalidUTF8),
        Case(name: "text ending inside a code point",
             stream: rawFrame(first: 0x01, payload: [0x41, 0xE2, 0x82]) + rawFrame(first: 0x80, payload: []), error: .invalidUTF8),
    ] + [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF].map { (opcode: UInt8) in
        Case(name: "opcode \(opcode)", stream: rawFrame(first: 0x80 | opcode, payload: []), error: .unknownOpcode(opcode))
    } + [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535].map { (code: UInt16) in
        Case(name: "close code \(code)", stream: rawFrame(first: 0x88, payload: [UInt8(code >> 8), UInt8(code & 0xFF)]),
             error: .invalidCloseCode(code))
    }

    @Test(arguments: cases)
    func malformedStreamFailsWithItsCode(_ testCase: Case) {
        let whole = feed(testCase.stream, configuration: testCase.configuration)
        #expect(whole.error == testCase.error)
        #expect(whole.messages.isEmpty)
        // Byte by byte gives the same verdict.
        let cuts = Array(1..<max(1, testCase.stream.count))
        #expect(feed(testCase.stream, cuts: cuts, configuration: testCase.configuration).error == testCase.error)
    }

    @Test func closeCodesMapAsSpecified() {
        #expect(WebSocketError.unmaskedClientFrame.closeCode.rawValue == 1002)
        #expect(WebSocketError.unknownOpcode(3).closeCode.rawValue == 1002)
        #expect(WebSocketError.invalidCloseCode(5).closeCode.rawValue == 1002)
        #expect(WebSocketError.invalidUTF8.closeCode.rawValue == 1007)
        #expect(WebSocketError.invalidCompressedData.closeCode.rawValue == 1007)
        #expect(WebSocketError.messageTooBig.closeCode.rawValue == 1009)
        #expect(WebSocketError.compressionFailure.closeCode.rawValue == 1011)
    }

    @Test func closeCodesValidOnTheWire() {
        let valid: [UInt16] = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4008, 4999]
        for code in valid { #expect(WebSocketCloseCode(rawValue: code).isValidInCloseFrame, "\(code)") }
        #expect(WebSocketCloseCode.slowConsumer.rawValue == 4008)
    }

    @Test func invalidUTF8FailsFastBeforeTheLastFragment() {
        var assembler = WebSocketMessageAssembler(configuration: serverConfiguration)
        #expect(throws: WebSocketError.invalidUTF8) {
            try assembler.messages(from: rawFrame(first: 0x01, payload: [0x41, 0xC0, 0xAF]))
        }
    }
}
