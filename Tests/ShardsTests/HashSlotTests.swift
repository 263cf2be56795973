import TestSupport
import Testing
@testable import Shards

@Suite("HashSlot")
struct HashSlotTests {
    @Test func crc16IsXmodem() {
        #expect(HashSlot.crc16(bytes("123456789")) == 0x31C3)
        #expect(HashSlot.crc16([]) == 0)
    }

    @Test func knownSlots() {
        #expect(HashSlot.slot(forKey: "foo") == 12182)
        #expect(HashSlot.slot(forKey: "bar") == 5061)
        #expect(HashSlot.slot(forKey: "") == 0)
        #expect(HashSlot.slot(forKey: bytes("foo")) == 12182)
    }

    @Test func hashTags() {
        let following = HashSlot.slot(forKey: "{user1000}.following")
        #expect(following == HashSlot.slot(forKey: "{user1000}.followers"))
        #expect(following == HashSlot.slot(forKey: "user1000"))
        // An empty tag: the whole key is hashed.
        #expect(HashSlot.slot(forKey: "foo{}{bar}") == Int(HashSlot.crc16(bytes("foo{}{bar}")) % 16384))
        #expect(HashSlot.slot(forKey: "foo{}{bar}") != HashSlot.slot(forKey: "bar"))
        // First '{', then the first '}' after it.
        #expect(HashSlot.slot(forKey: "foo{{bar}}zap") == HashSlot.slot(forKey: "{bar"))
        #expect(HashSlot.slot(forKey: "foo{bar}{zap}") == HashSlot.slot(forKey: "bar"))
        // No closing brace: the whole key.
        #expect(HashSlot.slot(forKey: "foo{bar") == Int(HashSlot.crc16(bytes("foo{bar")) % 16384))
        #expect(HashSlot.slot(forKey: "}foo{") == Int(HashSlot.crc16(bytes("}foo{")) % 16384))
    }

    @Test func oneRoomsKeysShareASlot() {
        let slot = HashSlot.slot(forKey: Keyspace.roomMessages(42))
        for key in [Keyspace.roomMembers(42), Keyspace.roomReads(42), Keyspace.roomEdits(42, message: 99),
                    Keyspace.roomEpoch(42), Keyspace.typing(room: 42, user: 7), Keyspace.roomChannel(42)] {
            #expect(HashSlot.slot(forKey: key) == slot, "\(Keyspace.text(key))")
        }
        #expect(HashSlot.slot(forKey: Keyspace.session(9)) == HashSlot.slot(forKey: Keyspace.userRooms(9)))
    }

    @Test func slotsStayInRange() {
        var random = SeededGenerator(seed: 3)
        for _ in 0..<2000 {
            let slot = HashSlot.slot(forKey: random.bytes(Int.random(in: 0...20, using: &random)))
            #expect((0..<HashSlot.count).contains(slot))
        }
    }
}
