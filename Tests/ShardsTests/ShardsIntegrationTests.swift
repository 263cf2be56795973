@preconcurrency import Glibc
import Testing
import TestSupport
@testable import Shards

/// Against a real valkey-server: the encoder's bytes are accepted and the reader parses
/// what the server sends, pipelined, binary and pub/sub.
@Suite("Shards integration")
struct ShardsIntegrationTests {
    @Test func thousandPipelinedCommandsInOneWrite() throws {
        let server = try ValkeyServer()
        let connection = try BlockingConnection(port: server.port)
        var encoder = RESPEncoder()
        var expected: [RESPValue] = []
        for i in 0..<250 {
            encoder.command("SET", "k_\(i)", "v_\(i)")
            encoder.command("GET", "k_\(i)")
            encoder.command("INCR", "counter")
            encoder.command("GET", "missing_\(i)")
            expected += [.simpleString("OK"), .bulk("v_\(i)"), .integer(Int64(i + 1)), .null]
        }
        try connection.send(encoder.buffer)
        let replies = try connection.receive(count: expected.count)
        #expect(replies.count == 1000)
        #expect(replies == expected)
        for (index, pair) in zip(replies, expected).enumerated() where pair.0 != pair.1 {
            Issue.record("reply \(index): \(pair.0) instead of \(pair.1)")
            break
        }
    }

    @Test func sortedSetRoundTripWithBinaryPayloads() throws {
        let server = try ValkeyServer()
        let connection = try BlockingConnection(port: server.port)
        let codec = ZstdCodec()
        var random = SeededGenerator(seed: 21)
        let key = Keyspace.roomMessages(42)
        var payloads: [[UInt8]] = []
        var encoder = RESPEncoder()
        for id in UInt64(1)...40 {
            // Every byte value, \r\n inside, and some long enough to be compressed.
            let payload = random.bytes(id % 2 == 0 ? 700 : 30) + Array(0...255) + bytes("\r\n")
            let stored = try codec.encode(payload)
            payloads.append(stored)
            encoder.command("ZADD", key, id, stored)
        }
        encoder.command("ZRANGEBYSCORE", key, 10, 20, "WITHSCORES")
        try connection.send(encoder.buffer)
        let replies = try connection.receive(count: 41)
        #expect(replies.prefix(40).allSatisfy { $0 == .integer(1) })
        guard let range = replies.last?.array else {
            Issue.record("ZRANGEBYSCORE did not answer an array: \(String(describing: replies.last))")
            return
        }
        var expected: [RESPValue] = []
        for id in 10...20 { expected += [.bulkString(payloads[id - 1]), .bulk(String(id))] }
        #expect(range == expected)
        let decoded = try range.enumerated().filter { $0.offset % 2 == 0 }.map { try codec.decode($0.element.bytes ?? []) }
        #expect(decoded.count == 11)
        #expect(decoded.allSatisfy { $0.suffix(258) == (Array(0...255) + bytes("\r\n"))[...] })
    }

    @Test func publishArrivesAsMessageArray() throws {
        let server = try ValkeyServer()
        let subscriber = try BlockingConnection(port: server.port)
        let publisher = try BlockingConnection(port: server.port)
        let channel = Keyspace.roomChannel(7)
        var encoder = RESPEncoder()
        encoder.command("SUBSCRIBE", channel)
        try subscriber.send(encoder.take())
        #expect(try subscriber.receive(count: 1) == [.array([.bulk("subscribe"), .bulkString(channel), .integer(1)])])

        let payload: [UInt8] = [0, 1, 2, 13, 10, 255] + bytes("hi")
        encoder.command("PUBLISH", channel, payload)
        try publisher.send(encoder.take())
        #expect(try publisher.receive(count: 1) == [.integer(1)])
        let message = try subscriber.receive(count: 1)
        #expect(message == [.array([.bulk("message"), .bulkString(channel), .bulkString(payload)])])
        if case .array(let parts)? = message.first, parts.count == 3, let name = parts[1].bytes {
            #expect(Keyspace.Channel(name) == .room(7))
        }
    }

    /// HashSlot against the server's own `CLUSTER KEYSLOT` for random keys with braces.
    @Test func hashSlotsMatchValkeyCluster() throws {
        let server = try ValkeyServer(arguments: ["--cluster-enabled", "yes"])
        let connection = try BlockingConnection(port: server.port)
        var random = SeededGenerator(seed: 17)
        let alphabet = bytes("{}ab:1")
        var keys: [[UInt8]] = [bytes("foo"), bytes("{user1000}.following"), bytes("foo{}{bar}"), bytes("foo{{bar}}zap")]
        for _ in 0..<300 {
            keys.append((0..<Int.random(in: 1...12, using: &random)).map { _ in alphabet.randomElement(using: &random) ?? 0 })
        }
        var encoder = RESPEncoder()
        for key in keys { encoder.command("CLUSTER", "KEYSLOT", key) }
        try connection.send(encoder.buffer)
        let replies = try connection.receive(count: keys.count)
        #expect(replies == keys.map { .integer(Int64(HashSlot.slot(forKey: $0))) })
    }
}

/// A plain blocking TCP connection to loopback with a receive timeout, for these tests
/// only (the real link is non-blocking and driven by the event loop).
final class BlockingConnection {
    private let descriptor: Int32
    private let reader: RESPReader
    private var pending: [RESPValue] = []

    /// Connects to 127.0.0.1:`port`; receives time out after 5 s.
    init(port: Int) throws {
        reader = try RESPReader()
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError.io("socket") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestSupportError.io("connect \(port)")
        }
    }

    deinit { close(descriptor) }

    /// Writes all of `bytes` (one `send` call when the socket buffer takes it).
    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestSupportError.io("send: errno \(errno)") }
            sent += n
        }
    }

    /// Reads until `count` replies are complete (or the receive times out); replies past
    /// `count` wait for the next call.
    func receive(count: Int) throws -> [RESPValue] {
        var values = pending + (try reader.drain())
        var buffer = [UInt8](repeating: 0, count: 65536)
        while values.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestSupportError.timeout("\(values.count) of \(count) replies") }
            try buffer.withUnsafeBytes { try reader.feed(UnsafeRawBufferPointer(rebasing: $0[..<n])) }
            values += try reader.drain()
        }
        pending = Array(values.dropFirst(count))
        return Array(values.prefix(count))
    }
}
