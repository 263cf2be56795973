import Testing
@testable import Rooms
import TestSupport

@Suite("Protocol JSON numbers and limits")
struct ProtocolJSONNumberTests {
    @Test func integersKeepTheirExactValue() throws {
        #expect(try parseJSON("0").uint64 == 0)
        #expect(try parseJSON("-0").uint64 == 0)
        #expect(try parseJSON("4294967295").uint64 == 4_294_967_295)
        #expect(try parseJSON("18446744073709551615").uint64 == UInt64.max)
        #expect(try parseJSON("-1").int64 == -1)
        #expect(try parseJSON("-1").uint64 == nil)
        #expect(try parseJSON("-9223372036854775808").int64 == Int64.min)
        #expect(try parseJSON("9223372036854775807").int64 == Int64.max)
        #expect(try parseJSON("9223372036854775808").int64 == nil)
        #expect(try parseJSON("12").isInteger)
    }

    @Test func numbersOutsideTheIntegerTypesAreDoubles() throws {
        let big = try parseJSON("18446744073709551616")
        #expect(!big.isInteger && big.uint64 == nil && big.double == 18_446_744_073_709_551_616.0)
        let small = try parseJSON("-9223372036854775809")
        #expect(!small.isInteger && small.int64 == nil)
        #expect(try parseJSON("1.5").double == 1.5)
        #expect(try parseJSON("1.0").uint64 == nil)
        #expect(try parseJSON("1e3").double == 1000)
        #expect(try parseJSON("1E+3").isInteger == false)
        #expect(try parseJSON("-1.25e-2").double == -0.0125)
        #expect(try parseJSON("7").double == 7)
        #expect(try parseJSON("-7").double == -7)
        #expect(try parseJSON("1e999").double == .infinity)
        #expect(try parseJSON("[1.5,2]").elements.map(\.double) == [1.5, 2])
    }

    @Test(arguments: ["01", "-01", "00", "1.", ".5", "+1", "-", "1e", "1e+", "1.e3", "-a", "NaN", "Infinity", "-Infinity", "0x10", "1.5.2", "2a"])
    func invalidNumbers(_ text: String) {
        #expect(jsonFailure(text) != nil)
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try parseJSON(ok).kind == .array)
        let deep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(jsonFailure(deep) == .tooDeep)
        let objects = String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)
        #expect(jsonFailure(objects) == .tooDeep)
        #expect(jsonFailure(String(repeating: "[", count: 100_000)) == .tooDeep)
        #expect(try parseJSON("[[1]]", maxDepth: 2).count == 1)
        #expect(jsonFailure(String(repeating: "[", count: 3) + String(repeating: "]", count: 3)) == nil)
    }

    @Test(arguments: [
        "", " ", "[1,]", "[,1]", #"{"a":1,}"#, #"{,"a":1}"#, #"{"a" 1}"#, #"{a:1}"#, "{'a':1}", "[1 2]",
        "{} x", "1 2", "// c\n1", "/* c */ 1", "[", "]", #"{"a":1"#, "{\"a\"", "tru", "nul", "falsy", "True",
        "[1,,2]", "\u{FEFF}1", #"{"a":}"#, "[\u{0B}1]",
    ])
    func invalidDocuments(_ text: String) {
        #expect(jsonFailure(text) != nil)
    }

    @Test func errorsNameTheirReason() {
        #expect(jsonFailure("") == .unexpectedEnd)
        #expect(jsonFailure("[1,]") == .unexpectedByte)
        #expect(jsonFailure("{} x") == .trailingBytes)
        #expect(jsonFailure("[1") == .unexpectedEnd)
    }

    /// Random and mutated inputs: the parser must answer (a value or an error) without ever
    /// trapping. Seeded, so any failure reproduces.
    @Test func randomBytesNeverCrash() {
        var random = SplitMix64(seed: 0x5EED_1234)
        let seeds: [[UInt8]] = [
            #"{"t":"send","room":42,"text":"h\u00e9llo \ud83d\ude00","cid":"c1"}"#,
            #"{"t":"presence","users":[1,2,3,-4,5.5e3],"x":{"y":[null,true,false]}}"#,
            #"[1,"a\"b\\",{"k":[[[]]]},-0.5E-3,18446744073709551616]"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]:,"\/-+.eE0123456789tfnulrsaxbu "#.utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xE2, 0xED, 0xF0, 0xFF]
        var parsed = 0
        for round in 0..<20_000 {
            var input: [UInt8]
            if round % 4 == 0 {
                input = (0..<random.below(64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                input = seeds[random.below(seeds.count)]
                for _ in 0...random.below(4) {
                    let position = random.below(input.count + 1)
                    let byte = alphabet[random.below(alphabet.count)]
                    switch random.below(3) {
                    case 0: input.insert(byte, at: position)
                    case 1 where position < input.count: input[position] = byte
                    default: if position < input.count { input.remove(at: position) }
                    }
                }
            }
            if let document = try? JSONDocument.parse(input) {
                parsed += 1
                walk(document.root)
            }
        }
        #expect(parsed > 100) // mutations keep some inputs valid: the walk is exercised
    }

    /// Touches every accessor of every value.
    private func walk(_ value: JSONValue) {
        _ = (value.kind, value.bool, value.string, value.uint64, value.int64, value.double, value.stringByteCount)
        for element in value.elements { walk(element) }
        for member in value.members { walk(member.value) }
    }
}

