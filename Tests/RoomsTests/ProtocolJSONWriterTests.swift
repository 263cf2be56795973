import Foundation
import Testing
@testable import Rooms

/// Parses `bytes` with Foundation's JSONSerialization, an independent parser.
func foundationObject(_ bytes: [UInt8]) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
    return try #require(object as? [String: Any])
}

@Suite("Protocol JSON writer")
struct ProtocolJSONWriterTests {
    private func written(_ body: (inout JSONWriter) -> Void) -> String {
        var writer = JSONWriter(capacity: 8)
        body(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func placesCommasInNestedStructures() {
        let text = written { writer in
            writer.beginObject()
            writer.field("a", 1)
            writer.key("b")
            writer.beginArray()
            writer.integer(1)
            writer.beginObject()
            writer.endObject()
            writer.beginArray()
            writer.null()
            writer.bool(true)
            writer.endArray()
            writer.string("x")
            writer.endArray()
            writer.nullField("c")
            writer.idField("id", 12_345)
            writer.rawField("r", Array(#"{"k":[]}"#.utf8))
            writer.integerArrayField("u", [UInt32(1), 2])
            writer.field("f", false)
            writer.endObject()
        }
        #expect(text == #"{"a":1,"b":[1,{},[null,true],"x"],"c":null,"id":"12345","r":{"k":[]},"u":[1,2],"f":false}"#)
    }

    @Test func integersAtTheirLimits() {
        let text = written { writer in
            writer.beginArray()
            writer.integer(0)
            writer.integer(9)
            writer.integer(10)
            writer.integer(UInt64.max)
            writer.integer(Int64.min)
            writer.integer(Int64.max)
            writer.integer(-1)
            writer.decimalString(UInt64.max)
            writer.endArray()
        }
        #expect(text == #"[0,9,10,18446744073709551615,-9223372036854775808,9223372036854775807,-1,"18446744073709551615"]"#)
    }

    @Test func escapesEveryControlCharacter() throws {
        for scalar in 0..<0x20 {
            let value = "a" + String(UnicodeScalar(UInt8(scalar))) + "b"
            let bytes = written { writer in
                writer.beginObject()
                writer.field("s", value)
                writer.endObject()
            }
            #expect(!bytes.utf8.contains { $0 < 0x20 })
            let object = try foundationObject(Array(bytes.utf8))
            #expect(object["s"] as? String == value)
            #expect(try parseJSON(bytes)["s"]?.string == value)
        }
        #expect(written { $0.string("\u{1}\u{1F}\n\t\r\u{8}\u{C}") } == #""\u0001\u001f\n\t\r\b\f""#)
    }

    @Test func escapesQuotesAndBackslashButNotHTML() throws {
        let value = #"say "hi" \ </script><script>alert(1)</script> & 'x'"#
        let bytes = written { $0.string(value) }
        #expect(bytes == #""say \"hi\" \\ </script><script>alert(1)</script> & 'x'""#)
        #expect(try JSONSerialization.jsonObject(with: Data(bytes.utf8), options: [.fragmentsAllowed]) as? String == value)
    }

    @Test func nonASCIIPassesThroughUnchanged() throws {
        let value = "héllo €😀 \u{2028} 日本語 \u{7F}"
        let bytes = written { $0.string(value) }
        #expect(Array(bytes.utf8) == [0x22] + Array(value.utf8) + [0x22])
        #expect(try parseJSON(bytes).string == value)
    }

    @Test func bridgedStringsAreEscapedToo() throws {
        // An NSString-backed String may not offer contiguous UTF-8: the fallback path.
        let bridged = NSString(string: "a\"b\u{1}é") as String
        #expect(written { $0.string(bridged) } == #""a\"b\u0001é""#)
    }
}
