import Shards
import Testing
import TestSupport
@testable import Rooms

/// The stored form of a message (`HistoryMember`) and the lex bounds over it, without a server.
@Suite struct HistoryMemberTests {
    let codec = ZstdCodec()

    @Test(arguments: [
        StoredMessage(id: 0, from: 0, ts: 0, text: ""),
        StoredMessage(id: 42, from: 7, ts: 1_733_340_000_000, text: "héllo 🚀", edited: 1_733_340_000_500),
        StoredMessage(id: .max, from: .max, ts: .min, text: "\u{0}nul\r\n", edited: .max),
        StoredMessage(id: (1 << 62) + 1, from: 1, ts: -1, text: String(repeating: "long text ", count: 300)),
    ])
    func roundTrips(message: StoredMessage) throws {
        let member = try HistoryMember.encode(message, codec: codec)
        #expect(HistoryMember.id(of: member) == message.id)
        #expect(try HistoryMember.decode(member, codec: codec) == message)
    }

    @Test func layoutIsAsDocumented() throws {
        let message = StoredMessage(id: 0x0102_0304_0506_0708, from: 0x0A0B_0C0D, ts: 0x10, text: "hi", edited: 0x20)
        let member = try HistoryMember.encode(message, codec: codec)
        #expect(member == [1, 2, 3, 4, 5, 6, 7, 8,  // id
                           ZstdCodec.rawFlag, HistoryMember.version, HistoryMember.editedFlag,
                           0x0A, 0x0B, 0x0C, 0x0D,  // from
                           0, 0, 0, 0, 0, 0, 0, 0x10,  // ts
                           0, 0, 0, 0, 0, 0, 0, 0x20,  // edited
                           UInt8(ascii: "h"), UInt8(ascii: "i")])
    }

    @Test func longTextsAreCompressed() throws {
        let text = String(repeating: "long text ", count: 300)
        let member = try HistoryMember.encode(StoredMessage(id: 1, from: 1, ts: 1, text: text), codec: codec)
        #expect(member[HistoryMember.idSize] == ZstdCodec.zstdFlag)
        #expect(member.count < text.utf8.count / 4)
    }

    @Test func lexOrderIsIdOrderForAll64Bits() throws {
        let ids: [UInt64] = [0, 1, 255, 256, 1 << 53, (1 << 53) + 1, (1 << 62) + 12345, (1 << 63) + 1, .max - 1, .max]
        let members = try ids.reversed().map { try HistoryMember.encode(StoredMessage(id: $0, from: 1, ts: 0, text: "z"), codec: codec) }
        #expect(members.sorted { $0.lexicographicallyPrecedes($1) }.compactMap(HistoryMember.id(of:)) == ids)
    }

    @Test func everyTruncationAndBadHeaderIsCorruptNotATrap() throws {
        let member = try HistoryMember.encode(StoredMessage(id: 9, from: 1, ts: 2, text: "x", edited: 3), codec: codec)
        for length in 0..<(member.count - 1) {
            #expect(throws: StoreError.self) { try HistoryMember.decode(Array(member.prefix(length)), codec: codec) }
        }
        var badVersion = member
        badVersion[9] = 2
        var badFlags = member
        badFlags[10] = 0x02
        var badUTF8 = member
        badUTF8[badUTF8.count - 1] = 0xFF
        var badCodec = member
        badCodec[8] = 7
        for bad in [badVersion, badFlags, badUTF8, badCodec] {
            #expect(throws: StoreError.self) { try HistoryMember.decode(bad, codec: codec) }
        }
    }

    @Test func randomBytesNeverTrap() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<5000 {
            let length = Int(random.next() % 40)
            var bytes = random.bytes(length)
            if bytes.count > 9, random.next() % 2 == 0 { bytes[8] = 0; bytes[9] = 1 }
            _ = try? HistoryMember.decode(bytes, codec: codec)
        }
    }

    @Test func lexBoundsAroundTheExtremes() {
        #expect(HistoryRange.above(.max) == nil)
        #expect(HistoryRange.above(1) == [UInt8(ascii: "["), 0, 0, 0, 0, 0, 0, 0, 2])
        #expect(HistoryRange.below(0) == [UInt8(ascii: "("), 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(HistoryRange.atMost(.max) == HistoryRange.highest)
        #expect(HistoryRange.atMost(7) == HistoryRange.below(8))
    }

    @Test func storedDecimalsAreCanonical() {
        func parse(_ text: String, limit: UInt64 = .max) -> UInt64? { StoredDecimal.parse(Array(text.utf8), limit: limit) }
        #expect(parse("0") == 0)
        #expect(parse("18446744073709551615") == .max)
        #expect(parse("4294967295", limit: UInt64(UInt32.max)) == 4_294_967_295)
        for bad in ["", "18446744073709551616", "007", "-1", "+1", " 1", "1a", "4294967296"] {
            #expect(parse(bad, limit: UInt64(UInt32.max)) == nil, "\(bad)")
        }
    }

    @Test func errorRepliesAreTransientOrCorrupt() {
        #expect(StoreError.reply("LOADING Valkey is loading the dataset in memory") == .unavailable("Valkey: LOADING Valkey is loading the dataset in memory"))
        #expect(StoreError.reply("OOM command not allowed") == .unavailable("Valkey: OOM command not allowed"))
        #expect(StoreError.reply("WRONGTYPE Operation against a key holding the wrong kind of value")
            == .corrupt("Valkey: WRONGTYPE Operation against a key holding the wrong kind of value"))
        #expect(StoreError(ShardLinkError.outboxFull) == .unavailable("outbox full"))
        #expect(StoreError(ShardLinkError.connectionLost("reset")) == .unavailable("connection lost: reset"))
    }
}
