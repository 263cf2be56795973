import Testing
@testable import Shards

@Suite("Keyspace")
struct KeyspaceTests {
    @Test func keysMatchTheDesignTable() {
        #expect(Keyspace.text(Keyspace.roomMessages(42)) == "room:{42}:msgs")
        #expect(Keyspace.text(Keyspace.roomMembers(0)) == "room:{0}:members")
        #expect(Keyspace.text(Keyspace.roomReads(4_294_967_295)) == "room:{4294967295}:reads")
        #expect(Keyspace.text(Keyspace.roomEdits(7, message: 18_446_744_073_709_551_615)) == "room:{7}:edits:18446744073709551615")
        #expect(Keyspace.text(Keyspace.roomEpoch(7)) == "room:{7}:epoch")
        #expect(Keyspace.text(Keyspace.typing(room: 7, user: 12)) == "typing:{7}:12")
        #expect(Keyspace.text(Keyspace.session(12)) == "sess:{12}")
        #expect(Keyspace.text(Keyspace.userRooms(12)) == "user:{12}:rooms")
        #expect(Keyspace.text(Keyspace.nodeHeartbeat("node-a")) == "node:node-a")
        #expect(Keyspace.text(Keyspace.roomChannel(42)) == "room.{42}")
        #expect(Keyspace.text(Keyspace.userChannel(12)) == "user.{12}")
    }

    @Test func directMessageKeysOrderTheUsers() {
        #expect(Keyspace.text(Keyspace.directMessages(5, 3)) == "dm:{3:5}:msgs")
        #expect(Keyspace.directMessages(3, 5) == Keyspace.directMessages(5, 3))
        #expect(Keyspace.text(Keyspace.directMessages(9, 9)) == "dm:{9:9}:msgs")
        #expect(Keyspace.text(Keyspace.directMessages(10, 9)) == "dm:{9:10}:msgs")
        #expect(Keyspace.text(Keyspace.directMessageReads(10, 9)) == "dm:{9:10}:reads")
        #expect(Keyspace.text(Keyspace.directMessageEpoch(4_294_967_295, 0)) == "dm:{0:4294967295}:epoch")
        #expect(Keyspace.text(Keyspace.directMessageEdits(10, 9, message: 18_446_744_073_709_551_615))
            == "dm:{9:10}:edits:18446744073709551615")
        #expect(Keyspace.text(Keyspace.userDirectMessages(12)) == "user:{12}:dms")
    }

    @Test func channelsParseBack() {
        #expect(Keyspace.Channel(Keyspace.roomChannel(42)) == .room(42))
        #expect(Keyspace.Channel(Keyspace.userChannel(0)) == .user(0))
        #expect(Keyspace.Channel(bytes("room.{4294967295}")) == .room(4_294_967_295))
        #expect(Keyspace.Channel.room(8).bytes == bytes("room.{8}"))
        #expect(Keyspace.Channel.user(8).shardKey == .user(8))
    }

    @Test(arguments: ["", "room.{", "room.{}", "room.{01}", "room.{4294967296}", "room.{12", "room.{1a}",
                      "room.{-1}", "rooms{1}", "user.{ 1}", "dm.{1}", "room:{1}:msgs", "room.{1}}"])
    func malformedChannelsAreRejected(name: String) {
        #expect(Keyspace.Channel(bytes(name)) == nil)
    }
}
