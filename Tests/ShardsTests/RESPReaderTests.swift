import TestSupport
import Testing
@testable import Shards

@Suite("RESPReader")
struct RESPReaderTests {
    /// A stream with every kind of reply, and the values it holds.
    static let stream = bytes(
        "+OK\r\n-ERR wrong type\r\n:42\r\n:-7\r\n$3\r\nfoo\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n"
            + "*3\r\n$7\r\nmessage\r\n$8\r\nroom.{7}\r\n$5\r\nhi\r\nx\r\n"
            + "*2\r\n*2\r\n:1\r\n$-1\r\n*1\r\n*1\r\n+deep\r\n"
    )
    static let values: [RESPValue] = [
        .simpleString("OK"), .error("ERR wrong type"), .integer(42), .integer(-7), .bulk("foo"),
        .bulkString([]), .null, .null, .array([]),
        .array([.bulk("message"), .bulk("room.{7}"), .bulk("hi\r\nx")]),
        .array([.array([.integer(1), .null]), .array([.array([.simpleString("deep")])])]),
    ]

    @Test func readsEveryKindOfReply() throws {
        let reader = try RESPReader()
        #expect(try reader.read(Self.stream) == Self.values)
        #expect(reader.bufferedByteCount == 0)
        #expect(try reader.next() == nil)
    }

    @Test func anySplitInTwoGivesTheSameValues() throws {
        for cut in 0...Self.stream.count {
            let reader = try RESPReader()
            var values = try reader.read(Array(Self.stream[..<cut]))
            values += try reader.read(Array(Self.stream[cut...]))
            #expect(values == Self.values, "cut at \(cut)")
        }
    }

    @Test func randomChunksGiveTheSameValues() throws {
        var random = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let reader = try RESPReader()
            var values: [RESPValue] = []
            var offset = 0
            while offset < Self.stream.count {
                let end = min(Self.stream.count, offset + Int.random(in: 1...9, using: &random))
                try reader.feed(Self.stream[offset..<end])
                values += try reader.drain()
                offset = end
            }
            #expect(values == Self.values)
        }
    }

    @Test func byteByByteLeavesPartialRepliesBuffered() throws {
        let reader = try RESPReader()
        try reader.feed(bytes("$5\r\nhel"))
        #expect(try reader.next() == nil)
        // hiredis has consumed the type byte of the pending bulk string already.
        #expect((1...7).contains(reader.bufferedByteCount))
        try reader.feed(bytes("lo\r\n"))
        #expect(try reader.next() == .bulk("hello"))
        #expect(reader.bufferedByteCount == 0)
    }

    @Test func largeBinaryBulkInChunks() throws {
        var random = SeededGenerator(seed: 7)
        let payload = random.bytes(200_000)
        let stream = bytes("$\(payload.count)\r\n") + payload + bytes("\r\n")
        let reader = try RESPReader()
        var values: [RESPValue] = []
        for start in stride(from: 0, to: stream.count, by: 4096) {
            try stream[start..<min(stream.count, start + 4096)].withUnsafeBytes { try reader.feed($0) }
            values += try reader.drain()
        }
        #expect(values == [.bulkString(payload)])
    }

    @Test(arguments: ["?x\r\n", "*-5\r\n", "$-5\r\n", ":abc\r\n", ":99999999999999999999999\r\n",
                      "*2147483648\r\n", "$99999999999999999999\r\n", String(repeating: "*1\r\n", count: 10) + ":1\r\n"])
    func protocolErrorsThrowAndStick(input: String) throws {
        let reader = try RESPReader()
        let error = #expect(throws: ShardsError.self) { _ = try reader.read(bytes(":1\r\n" + input)) }
        guard case .protocolViolation(let message) = error else {
            Issue.record("expected a protocol violation, got \(String(describing: error))")
            return
        }
        #expect(!message.isEmpty)
        #expect(throws: ShardsError.self) { _ = try reader.next() }
        #expect(throws: ShardsError.self) { try reader.feed(bytes("+OK\r\n")) }
    }

    @Test func valuesBeforeAnErrorAreReturnedByNext() throws {
        let reader = try RESPReader()
        try reader.feed(bytes(":1\r\n:2\r\n!bad\r\n"))
        #expect(try reader.next() == .integer(1))
        #expect(try reader.next() == .integer(2))
        #expect(throws: ShardsError.self) { _ = try reader.next() }
    }

    /// Random bytes, random RESP-like tokens and mutations of a valid stream: the reader
    /// returns values or throws, and never traps.
    @Test func fuzzNeverTraps() throws {
        var random = SeededGenerator(seed: 0xF0221)
        let tokens = ["*", "$", ":", "+", "-", "\r\n", "\r", "\n", "0", "1", "2", "3", "-1", "-2", "9", "12",
                      "4294967297", "9223372036854775807", "99999999999999999999", "abc", "\0", "\u{FF}"]
        var outcomes = (values: 0, errors: 0)
        for round in 0..<3000 {
            var input: [UInt8]
            switch round % 3 {
            case 0: input = random.bytes(Int.random(in: 0...64, using: &random))
            case 1: input = (0..<Int.random(in: 1...30, using: &random)).flatMap { _ in bytes(tokens.randomElement(using: &random) ?? "") }
            default:
                input = Self.stream
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            }
            let reader = try RESPReader()
            do {
                var offset = 0
                while offset < input.count {
                    let end = min(input.count, offset + Int.random(in: 1...16, using: &random))
                    outcomes.values += try reader.read(Array(input[offset..<end])).count
                    offset = end
                }
            } catch {
                outcomes.errors += 1
            }
        }
        #expect(outcomes.values > 0)
        #expect(outcomes.errors > 0)
    }

    @Test func descriptionHidesContents() {
        let value = RESPValue.array([.bulk("secret"), .integer(3), .null, .error("ERR x"), .simpleString("OK")])
        #expect(value.description == "[<6 bytes>, :3, null, -ERR x, +OK]")
    }

    @Test func accessors() {
        #expect(RESPValue.bulk("12").integer == 12)
        #expect(RESPValue.integer(5).integer == 5)
        #expect(RESPValue.simpleString("OK").string == "OK")
        #expect(RESPValue.simpleString("OK").bytes == bytes("OK"))
        #expect(RESPValue.null.isNull)
        #expect(RESPValue.error("ERR x").errorMessage == "ERR x")
        #expect(RESPValue.array([.null]).array == [.null])
        #expect(RESPValue.integer(1).array == nil)
        #expect(RESPValue.bulk("x").errorMessage == nil)
    }
}
