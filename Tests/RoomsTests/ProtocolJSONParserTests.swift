import Testing
@testable import Rooms

/// Parses `text` or fails the test.
func parseJSON(_ text: String, maxDepth: Int = JSONDocument.defaultMaxDepth) throws -> JSONValue {
    try JSONDocument.parse(Array(text.utf8), maxDepth: maxDepth).root
}

/// The reason `bytes` is refused, or `nil` when it parses.
func jsonFailure(_ bytes: [UInt8]) -> JSONError.Reason? {
    do {
        _ = try JSONDocument.parse(bytes)
        return nil
    } catch {
        return error.reason
    }
}

func jsonFailure(_ text: String) -> JSONError.Reason? { jsonFailure(Array(text.utf8)) }

@Suite("Protocol JSON parser")
struct ProtocolJSONParserTests {
    @Test func literalsAndStructure() throws {
        let value = try parseJSON(#" { "a" : [ true , false , null ] , "b" : { } , "c" : [ ] } "#)
        #expect(value.kind == .object)
        #expect(value.count == 3)
        let array = try #require(value["a"])
        #expect(array.kind == .array)
        #expect(array.elements.map(\.kind) == [.bool, .bool, .null])
        #expect(array.elements.map(\.bool) == [true, false, nil])
        #expect(value["b"]?.kind == .object && value["b"]?.count == 0)
        #expect(value["c"]?.kind == .array && value["c"]?.count == 0)
        #expect(value["missing"] == nil)
        #expect(value.members.map(\.key) == ["a", "b", "c"])
    }

    @Test func scalarsAtTopLevel() throws {
        #expect(try parseJSON("true").bool == true)
        #expect(try parseJSON("\t\r\n null \n").isNull)
        #expect(try parseJSON(#""x""#).string == "x")
        #expect(try parseJSON("7").uint64 == 7)
    }

    @Test func duplicateKeysLastWins() throws {
        let value = try parseJSON(#"{"room":1,"x":[1,{"room":9}],"room":2}"#)
        #expect(value["room"]?.uint64 == 2)
        #expect(value.count == 3 && Array(value.members).count == 3)
    }

    @Test func skipsNestedValuesWhenLookingUpMembers() throws {
        let value = try parseJSON(#"{"a":{"b":{"c":1}},"d":[[1,2],[3]],"e":"f"}"#)
        #expect(value["e"]?.string == "f")
        #expect(value["a"]?["b"]?["c"]?.uint64 == 1)
        #expect(value["c"] == nil)
        #expect(value["d"]?.elements.map(\.count) == [2, 1])
    }

    @Test func accessorsOfTheWrongTypeAreNil() throws {
        let value = try parseJSON(#"{"s":"1","n":1}"#)
        #expect(value["s"]?.uint64 == nil)
        #expect(value["n"]?.string == nil)
        #expect(value["n"]?.stringByteCount == nil)
        #expect(value["s"]?["x"] == nil)
        #expect(value["s"]?.elements.map(\.kind) == [])
        #expect(value["n"]?.bool == nil)
    }

    // MARK: Strings

    @Test func escapes() throws {
        let value = try parseJSON(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\u0000""#)
        #expect(value.string == "\"\\/\u{8}\u{C}\n\r\tAé€\u{0}")
    }

    @Test func surrogatePairsBecomeOneScalar() throws {
        #expect(try parseJSON(#""\ud83d\ude00""#).string == "😀")
        #expect(try parseJSON(#""a\uD834\uDD1Eb""#).string == "a𝄞b")
        #expect(try parseJSON(#""\ud83d\ude00""#).stringByteCount == 4)
    }

    @Test(arguments: [
        #""\ud83d""#, #""\ud83dx""#, #""\ud83d\u0041""#, #""\ude00""#, #""\udbff\udbff""#, #""\ud83d\""#,
    ])
    func loneSurrogatesAreRefused(_ text: String) {
        #expect(jsonFailure(text) == .loneSurrogate)
    }

    @Test(arguments: [#""\x""#, #""\u12""#, #""\u12G4""#, #""\U0041""#, #""\'""#])
    func invalidEscapes(_ text: String) {
        #expect(jsonFailure(text) == .invalidEscape)
    }

    @Test func rawUTF8PassesThrough() throws {
        #expect(try parseJSON("\"héllo €😀 \u{7F}\"").string == "héllo €😀 \u{7F}")
    }

    @Test func controlCharactersMustBeEscaped() {
        for byte in UInt8(0)..<0x20 {
            #expect(jsonFailure([0x22, byte, 0x22]) == .controlCharacterInString)
        }
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF0, 0x80, 0x80, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0x80], [0xBF], [0xE2, 0x82], [0xE2, 0x82, 0x41],
        [0xFF], [0xC3],
    ] as [[UInt8]])
    func invalidUTF8IsRefused(_ sequence: [UInt8]) {
        #expect(jsonFailure([0x22] + sequence + [0x22]) == .invalidUTF8)
    }

    @Test func unterminatedStrings() {
        #expect(jsonFailure(#""abc"#) == .unexpectedEnd)
        #expect(jsonFailure(#""abc\"#) == .unexpectedEnd)
        #expect(jsonFailure(#""\u00"#) == .unexpectedEnd)
        #expect(jsonFailure([0x22, 0xE2, 0x82]) == .invalidUTF8)
    }
}
