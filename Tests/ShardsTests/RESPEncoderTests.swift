import TestSupport
import Testing
@testable import Shards

@Suite("RESPEncoder")
struct RESPEncoderTests {
    private func encoded(_ build: (inout RESPEncoder) -> Void) -> String {
        var encoder = RESPEncoder()
        build(&encoder)
        return String(decoding: encoder.buffer, as: UTF8.self)
    }

    @Test func setCommandIsByteExact() {
        #expect(encoded { $0.command("SET", "k", "v") } == "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
    }

    @Test func integersAreDecimalBulkStrings() {
        #expect(encoded { $0.command("INCRBY", "c", -12) } == "*3\r\n$6\r\nINCRBY\r\n$1\r\nc\r\n$3\r\n-12\r\n")
        #expect(encoded { $0.command("X", 0, Int64.min, UInt64.max) }
            == "*4\r\n$1\r\nX\r\n$1\r\n0\r\n$20\r\n-9223372036854775808\r\n$20\r\n18446744073709551615\r\n")
        #expect(encoded { $0.command("X", UInt32(4_294_967_295), Int32(-7), 1.5) }
            == "*4\r\n$1\r\nX\r\n$10\r\n4294967295\r\n$2\r\n-7\r\n$3\r\n1.5\r\n")
    }

    @Test func bytesAreBinarySafe() {
        var encoder = RESPEncoder()
        encoder.command("SET", [UInt8]("k".utf8), [0, 13, 10, 255] as [UInt8])
        #expect(encoder.buffer == bytes("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\n") + [0, 13, 10, 255] + bytes("\r\n"))
    }

    @Test func emptyAndUnicodeArguments() {
        #expect(encoded { $0.command("ECHO", "") } == "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")
        #expect(encoded { $0.command("ECHO", "é") } == "*2\r\n$4\r\nECHO\r\n$2\r\né\r\n")
    }

    @Test func collectionOfArgumentsAndPrimitives() {
        #expect(encoded { $0.command(arguments: ["SUBSCRIBE", "room.{1}", "user.{2}"]) }
            == "*3\r\n$9\r\nSUBSCRIBE\r\n$8\r\nroom.{1}\r\n$8\r\nuser.{2}\r\n")
        #expect(encoded {
            $0.arrayHeader(count: 2)
            $0.bulkString("GET")
            $0.bulkString([UInt8]("key".utf8)[...])
        } == "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n")
    }

    @Test func commandsAppendBackToBackAndTakeEmpties() {
        var encoder = RESPEncoder(reservingCapacity: 16)
        encoder.command("PING")
        encoder.command("GET", "a")
        #expect(encoder.count == 14 + 20)
        let out = encoder.take()
        #expect(String(decoding: out, as: UTF8.self) == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        #expect(encoder.isEmpty)
    }

    @Test func longLengthsAndDigitBoundaries() {
        for length in [9, 10, 99, 100, 999, 1000, 65536] {
            var encoder = RESPEncoder()
            encoder.bulkString([UInt8](repeating: 120, count: length))
            #expect(encoder.buffer.starts(with: bytes("$\(length)\r\n")))
            #expect(encoder.count == 1 + String(length).count + 2 + length + 2)
        }
        for value in [9, 10, 99, 100, -9, -10, Int.max, Int.min] {
            var encoder = RESPEncoder()
            encoder.bulkString(value)
            #expect(String(decoding: encoder.buffer, as: UTF8.self) == "$\(String(value).count)\r\n\(value)\r\n")
        }
    }

    /// A command is itself a RESP array of bulk strings: what the encoder writes, the
    /// reader must read back as exactly those arguments.
    @Test func randomCommandsRoundTripThroughTheReader() throws {
        var random = SeededGenerator(seed: 0xC0FFEE)
        var encoder = RESPEncoder()
        var expected: [RESPValue] = []
        for _ in 0..<300 {
            let arguments = (0..<Int.random(in: 1...6, using: &random)).map { _ in
                random.bytes(Int.random(in: 0...40, using: &random))
            }
            encoder.command(arguments: arguments)
            expected.append(.array(arguments.map { .bulkString($0) }))
        }
        let reader = try RESPReader()
        #expect(try reader.read(encoder.buffer) == expected)
    }
}
