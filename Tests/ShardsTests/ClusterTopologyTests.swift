import TestSupport
import Testing
@testable import Shards

/// The pure parts of cluster mode: topology, redirects, addresses, batch splitting, and
/// routing by key name. Malformed input throws or yields nil, never traps.
@Suite("Cluster topology and redirects")
struct ClusterTopologyTests {
    private func node(_ host: String, _ port: Int64) -> RESPValue { .array([.bulk(host), .integer(port), .bulk("id"), .array([])]) }

    @Test func slotsReplyMapsEverySlotToItsMaster() throws {
        let reply = RESPValue.array([
            .array([.integer(0), .integer(5460), node("127.0.0.1", 7001), node("127.0.0.1", 7004)]),
            .array([.integer(5461), .integer(10922), node("", 7002)]),
            .array([.integer(10923), .integer(16383), node("127.0.0.1", 7003)]),
        ])
        let topology = try ClusterTopology(slotsReply: reply, askedHost: "10.0.0.9")
        #expect(topology.coveredSlotCount == HashSlot.count)
        #expect(topology.masters.map(\.description) == ["127.0.0.1:7001", "10.0.0.9:7002", "127.0.0.1:7003"])
        #expect(topology.owner(ofSlot: 0)?.port == 7001)
        #expect(topology.owner(ofSlot: 5460)?.port == 7001)
        #expect(topology.owner(ofSlot: 5461)?.port == 7002)
        #expect(topology.owner(ofSlot: 16383)?.port == 7003)
        #expect(topology.owner(ofSlot: 16384) == nil)
        #expect(topology.owner(ofSlot: -1) == nil)
    }

    @Test func unknownEndpointsLeaveSlotsUnassignedAndMovedAssignsOne() throws {
        let reply = RESPValue.array([
            .array([.integer(0), .integer(99), node("?", 7001)]),
            .array([.integer(100), .integer(199), node("127.0.0.1", 7002)]),
        ])
        var topology = try ClusterTopology(slotsReply: reply, askedHost: "127.0.0.1")
        #expect(topology.coveredSlotCount == 100)
        #expect(topology.owner(ofSlot: 5) == nil)
        topology.assign(slot: 5, to: ValkeyAddress(host: "127.0.0.1", port: 7009))
        #expect(topology.owner(ofSlot: 5)?.port == 7009)
        topology.assign(slot: 6, to: ValkeyAddress(host: "127.0.0.1", port: 7002))
        #expect(topology.masters.count == 2)
        topology.assign(slot: 99_999, to: ValkeyAddress(host: "x", port: 1))
        #expect(topology.coveredSlotCount == 102)
    }

    @Test func malformedSlotsRepliesThrow() {
        let bad: [RESPValue] = [
            .simpleString("OK"), .error("ERR This instance has cluster support disabled"), .null,
            .array([.integer(1)]),
            .array([.array([.integer(5), .integer(4), node("h", 1)])]),  // start after end
            .array([.array([.integer(0), .integer(16384), node("h", 1)])]),  // past the last slot
            .array([.array([.integer(-1), .integer(3), node("h", 1)])]),
            .array([.array([.integer(0), .integer(3), .array([.bulk("h")])])]),  // no port
            .array([.array([.integer(0), .integer(3), node("h", 0)])]),
            .array([.array([.integer(0), .integer(3), node("h", 70000)])]),
            .array([.array([.integer(0), .integer(3), .integer(7)])]),
            .array([.array([.bulk("x"), .integer(3), node("h", 1)])]),
        ]
        for reply in bad {
            #expect(throws: ShardsError.self, "\(reply)") { try ClusterTopology(slotsReply: reply, askedHost: "h") }
        }
    }

    @Test func randomRepliesNeverTrap() {
        var random = SeededGenerator(seed: 99)
        func value(_ depth: Int) -> RESPValue {
            switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
            case 0: return .integer(Int64.random(in: -5...70000, using: &random))
            case 1: return .bulk(["", "?", "127.0.0.1", "x"].randomElement(using: &random) ?? "")
            case 2: return .null
            case 3: return .error("MOVED")
            default: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth + 1) })
            }
        }
        for _ in 0..<2000 {
            let topology = try? ClusterTopology(slotsReply: value(0), askedHost: "h")
            if let topology { #expect(topology.coveredSlotCount <= HashSlot.count) }
        }
    }

    @Test func redirectsParseAndMalformedOnesAreErrors() {
        #expect(ClusterRedirect(errorMessage: "MOVED 3999 127.0.0.1:6381", answeringHost: "h")
            == .moved(slot: 3999, address: ValkeyAddress(host: "127.0.0.1", port: 6381)))
        #expect(ClusterRedirect(errorMessage: "ASK 0 10.1.2.3:7000", answeringHost: "h")
            == .ask(slot: 0, address: ValkeyAddress(host: "10.1.2.3", port: 7000)))
        #expect(ClusterRedirect(errorMessage: "MOVED 16383 :6380", answeringHost: "10.0.0.5")
            == .moved(slot: 16383, address: ValkeyAddress(host: "10.0.0.5", port: 6380)))
        #expect(ClusterRedirect(errorMessage: "TRYAGAIN Multiple keys request during rehashing of slot", answeringHost: "h") == .tryAgain)
        for message in [
            "MOVED", "MOVED 3999", "MOVED 16384 h:1", "MOVED -1 h:1", "MOVED x h:1", "MOVED 1 h", "MOVED 1 h:0",
            "MOVED 1 h:99999", "MOVED 1 h:1 extra", "ASK 1  h:1", "ERR MOVED 1 h:1", "MOVED 99999999999999999999 h:1",
            "WRONGTYPE Operation against a key holding the wrong kind of value",
        ] {
            #expect(ClusterRedirect(errorMessage: message, answeringHost: "h") == nil, "\(message)")
        }
    }

    @Test func addressesParse() {
        #expect(ValkeyAddress("127.0.0.1:6379") == ValkeyAddress(host: "127.0.0.1", port: 6379))
        #expect(ValkeyAddress("[::1]:6379") == ValkeyAddress(host: "::1", port: 6379))
        #expect(ValkeyAddress("valkey-1:7000")?.host == "valkey-1")
        for text in ["", "h", "h:", ":", "h:0", "h:65536", "h:-1", "h:+1", "h:12a", "h:000001"] {
            #expect(ValkeyAddress(text) == nil, "\(text)")
        }
    }

    @Test func batchesSplitIntoTheirCommands() {
        var encoder = RESPEncoder()
        encoder.command("SET", "room:{1}:a", "v")
        encoder.command("INCR", "room:{1}:n")
        encoder.command("RPUSH", "room:{1}:log", [UInt8]([13, 10, 0, 255]))
        let bytes = encoder.buffer
        let ranges = RESPCommandRanges.split(bytes, count: 3)
        #expect(ranges?.count == 3)
        #expect(ranges?.first?.lowerBound == 0)
        #expect(ranges?.last?.upperBound == bytes.count)
        #expect(RESPCommandRanges.split(bytes, count: 2) == nil)
        #expect(RESPCommandRanges.split(bytes, count: 4) == nil)
        #expect(RESPCommandRanges.split(Array(bytes.dropLast()), count: 3) == nil)
        #expect(RESPCommandRanges.split(Array("PING\r\n".utf8), count: 1) == nil)
        #expect(RESPCommandRanges.split(Array("*1\r\n$99\r\nPING\r\n".utf8), count: 1) == nil)
        #expect(RESPCommandRanges.split(Array("*1\r\n$99999999999999999999\r\n".utf8), count: 1) == nil)
        var random = SeededGenerator(seed: 5)
        for _ in 0..<2000 {
            var noise = bytes
            noise[Int.random(in: 0..<noise.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            _ = RESPCommandRanges.split(noise, count: 3)
        }
    }

    @Test func keyNamesRouteLikeTheirShardKeys() throws {
        let router = try ShardRouter()
        let cases: [(String, ShardKey?)] = [
            ("room:{1500}:msgs", .room(1500)), ("typing:{7}:9", .room(7)), ("room.{42}", .room(42)),
            ("room:{7}:edits:123", .room(7)), ("sess:{9}", .user(9)), ("user:{9}:rooms", .user(9)),
            ("user.{9}", .user(9)), ("dm:{3:4}:msgs", .directMessages(3, 4)), ("node:n-1", .nodeHeartbeat),
            ("room:{x}:msgs", nil), ("room:{}:msgs", nil), ("other:{1}", nil), ("room:{1", nil), ("plain", nil),
            ("dm:{3}:msgs", nil), ("room:{99999999999}:msgs", nil),
        ]
        for (name, expected) in cases {
            #expect(ShardKey(key: Array(name.utf8)) == expected, "\(name)")
            if let expected { #expect(router.shard(forKey: Array(name.utf8)) == router.shard(for: expected)) }
        }
        #expect((0..<3).contains(router.shard(forKey: Array("plain".utf8))))
    }

    @Test func slotFlightHoldsBatchesThatWouldOvertake() {
        let a = 0, b = 1
        var flight = SlotFlight()
        #expect(flight.mayOvertakeNothing(to: a))
        flight.add(a)
        flight.add(a)
        #expect(flight.mayOvertakeNothing(to: a))
        #expect(!flight.mayOvertakeNothing(to: b))
        flight.remove(a)
        flight.add(b)  // one batch redirected to b: nothing new may go anywhere
        #expect(!flight.mayOvertakeNothing(to: a) && !flight.mayOvertakeNothing(to: b))
        flight.remove(a)
        #expect(flight.mayOvertakeNothing(to: b))
        flight.waiting = 1
        #expect(!flight.mayOvertakeNothing(to: b))
        flight.waiting = 0
        flight.remove(b)
        #expect(flight.isIdle)
    }
}
