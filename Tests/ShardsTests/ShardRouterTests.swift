import TestSupport
import Testing
@testable import Shards

@Suite("ShardRouter")
struct ShardRouterTests {
    @Test func defaultMapBoundaries() throws {
        let router = try ShardRouter()
        #expect(router.shardCount == 3)
        #expect(router.roomShards == [0, 1])
        #expect(router.userShard == 2)
        #expect(router.shard(forRoom: 0) == 0)
        #expect(router.shard(forRoom: 999) == 0)
        #expect(router.shard(forRoom: 1000) == 1)
        #expect(router.shard(forRoom: 1999) == 1)
        for room in [UInt32(2000), 2001, 65535, UInt32.max] {
            #expect([0, 1].contains(router.shard(forRoom: room)))
        }
        #expect(router.shard(forDirectMessagesBetween: 1, and: 2) == 2)
        #expect(router.shard(forDirectMessagesBetween: 2, and: 1) == 2)
        #expect(router.shard(forUser: 5) == 2)
        #expect(router.shardForNodeHeartbeats() == 2)
        #expect(router.shard(for: .room(1500)) == 1)
        #expect(router.shard(for: .directMessages(3, 4)) == 2)
        #expect(router.shard(for: .user(3)) == 2)
        #expect(router.shard(for: .nodeHeartbeat) == 2)
    }

    /// Pins the hashed part of the default map: these values must never change, or rooms
    /// would move between shards on upgrade.
    @Test func hashedRoomsArePinned() throws {
        let router = try ShardRouter()
        let shards = (2000..<2016).map { router.shard(forRoom: UInt32($0)) }
        #expect(shards == Self.pinnedShards)
    }

    static let pinnedShards = [0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0]

    @Test func hashedRoomsSpreadEvenly() throws {
        let router = try ShardRouter()
        var counts = [0, 0, 0]
        for room in UInt32(2000)..<12000 { counts[router.shard(forRoom: room)] += 1 }
        #expect(counts[2] == 0)
        #expect(abs(counts[0] - 5000) < 250, "\(counts)")
        #expect(abs(counts[1] - 5000) < 250, "\(counts)")
    }

    @Test func addingAShardMovesOnlyItsShareAndNoUserKeys() throws {
        let three = try ShardRouter(shardCount: 3), four = try ShardRouter(shardCount: 4)
        #expect(four.roomShards == [0, 1, 3])
        #expect(four.userShard == three.userShard)
        var moved = 0
        for room in UInt32(0)..<12000 {
            let before = three.shard(forRoom: room), after = four.shard(forRoom: room)
            if before != after {
                moved += 1
                #expect(after == 3, "room \(room) moved to \(after), not to the new shard")
                #expect(room >= 2000, "fixed range room \(room) moved")
            }
        }
        // About a third of the 10,000 hashed rooms move, all to the new shard.
        #expect(abs(moved - 10000 / 3) < 250, "\(moved) moved")
    }

    @Test func jumpHashMovesAboutOneInNPlusOne() {
        var random = SeededGenerator(seed: 11)
        let keys = (0..<20000).map { _ in random.next() }
        for buckets in [Int32(1), 2, 5, 10] {
            var moved = 0
            for key in keys {
                let before = ShardRouter.jumpConsistentHash(key: key, buckets: buckets)
                let after = ShardRouter.jumpConsistentHash(key: key, buckets: buckets + 1)
                #expect((0..<buckets).contains(before))
                if before != after {
                    moved += 1
                    #expect(after == buckets)
                }
            }
            let expected = keys.count / Int(buckets + 1)
            #expect(abs(moved - expected) < expected / 10 + 50, "\(buckets) -> \(buckets + 1): \(moved)")
        }
    }

    @Test func generalShardCounts() throws {
        let one = try ShardRouter(shardCount: 1)
        #expect(one.roomShards == [0] && one.userShard == 0)
        for room in [UInt32(0), 1000, 5000] { #expect(one.shard(forRoom: room) == 0) }

        let two = try ShardRouter(shardCount: 2)
        #expect(two.roomShards == [0, 1] && two.userShard == 1)
        #expect(two.shard(forRoom: 10) == 0 && two.shard(forRoom: 1010) == 1)
        let three = try ShardRouter(shardCount: 3)
        // Growing 2 -> 3 moves no room, only the user keys.
        for room in UInt32(0)..<5000 { #expect(two.shard(forRoom: room) == three.shard(forRoom: room)) }

        let five = try ShardRouter(shardCount: 5)
        #expect(five.roomShards == [0, 1, 3, 4] && five.userShard == 2)
        let used = Set((UInt32(2000)..<4000).map { five.shard(forRoom: $0) })
        #expect(used == [0, 1, 3, 4])
    }

    @Test(arguments: [0, -1, ShardRouter.maximumShardCount + 1])
    func invalidShardCountsThrow(count: Int) {
        #expect(throws: ShardsError.invalidShardCount(count)) { try ShardRouter(shardCount: count) }
    }
}
